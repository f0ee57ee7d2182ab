'use strict';

// What Backstage's scaffolder does with Nunjucks, reproduced on Node's
// nunjucks package so that its output can serve as golden files for
// commands/paths/templating. Each function names the Backstage source it
// follows (backstage/backstage, plugins/scaffolder-backend and
// plugins/scaffolder-node); README.md beside this file lists the commits.

const fs = require('fs');
const path = require('path');
const lodashGet = require('lodash/get');
const lodashTrim = require('lodash/trim');
const catalogModel = require('@backstage/catalog-model');

const NUNJUCKS_DIR = path.dirname(require.resolve('nunjucks/package.json'));

// A new instance of the nunjucks module. Backstage's SecureTemplater runs a
// copy of nunjucks in its own isolate per renderer, so installJinjaCompat
// (which patches the module's runtime) never reaches another renderer; a
// fresh module instance gives the same isolation here.
function freshNunjucks() {
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(NUNJUCKS_DIR + path.sep)) {
      delete require.cache[key];
    }
  }
  const nj = require('nunjucks');
  for (const key of Object.keys(require.cache)) {
    if (key.startsWith(NUNJUCKS_DIR + path.sep)) {
      delete require.cache[key];
    }
  }
  return nj;
}

// The host's nunjucks, used only to parse (NunjucksWorkflowRunner imports
// nunjucks directly for isSingleTemplateString).
const hostNunjucks = freshNunjucks();

// Hosts of the integrations Backstage has with no `integrations` config:
// ScmIntegrations.byHost(host).type. A values file may add more.
const DEFAULT_INTEGRATIONS = {
  'github.com': 'github',
  'gitlab.com': 'gitlab',
  'bitbucket.org': 'bitbucket',
  'dev.azure.com': 'azure',
};

class InputError extends Error {}

// plugins/scaffolder-node/src/actions/util.ts parseRepoUrl.
function parseRepoUrl(repoUrl, integrations) {
  let parsed;
  try {
    parsed = new URL(`https://${repoUrl}`);
  } catch (error) {
    throw new InputError(
      `Invalid repo URL passed to publisher, got ${repoUrl}, ${error}`,
    );
  }
  const host = parsed.host;
  const type = Object.hasOwn(integrations, host) ? integrations[host] : undefined;
  if (!type) {
    throw new InputError(
      `No matching integration configuration for host ${host}, please check your integrations config`,
    );
  }
  const { owner, organization, workspace, project, repo } = Object.fromEntries(
    ['owner', 'organization', 'workspace', 'project', 'repo'].map(param => [
      param,
      parsed.searchParams.has(param)
        ? lodashTrim(parsed.searchParams.get(param), '/')
        : undefined,
    ]),
  );
  const checkRequiredParams = (...params) => {
    for (const p of params) {
      if (!parsed.searchParams.get(p)) {
        throw new InputError(
          `Invalid repo URL passed to publisher: ${parsed.toString()}, missing ${p}`,
        );
      }
    }
  };
  switch (type) {
    case 'bitbucket':
      if (host === 'www.bitbucket.org') {
        checkRequiredParams('workspace');
      }
      checkRequiredParams('project', 'repo');
      break;
    case 'azure':
      checkRequiredParams('project', 'repo');
      break;
    case 'gitlab':
      if (!project) {
        checkRequiredParams('owner', 'repo');
      }
      break;
    case 'gitea':
    case 'gerrit':
      checkRequiredParams('repo');
      break;
    default:
      checkRequiredParams('repo', 'owner');
      break;
  }
  return { host, owner, repo, organization, workspace, project };
}

// plugins/scaffolder-backend/src/lib/templating/filters/createDefaultFilters.ts:
// parseRepoUrl, parseEntityRef (@backstage/catalog-model), pick (lodash get),
// projectSlug.
function createDefaultFilters(integrations) {
  return {
    parseRepoUrl: url => parseRepoUrl(url, integrations),
    parseEntityRef: (ref, context) => catalogModel.parseEntityRef(ref, context),
    pick: (obj, p) => lodashGet(obj, p),
    projectSlug: repoUrl => {
      const { owner, repo } = parseRepoUrl(repoUrl, integrations);
      return `${owner}/${repo}`;
    },
  };
}

// plugins/scaffolder-backend/src/lib/templating/SecureTemplater.ts
// loadRenderer. Values cross into the isolate as JSON; each filter's
// arguments are copied out and its result comes back through
// JSON.stringify/JSON.parse (so a filter that returns undefined makes the
// render fail: JSON.parse(undefined) throws).
function createEnvironments(options = {}) {
  const {
    templateFilters = {},
    templateGlobals = {},
    nunjucksConfigs = {},
  } = options;
  const nj = freshNunjucks();
  const configs = JSON.parse(JSON.stringify(nunjucksConfigs));

  const env = new nj.Environment([], {
    autoescape: false,
    ...configs,
    tags: { variableStart: '${{', variableEnd: '}}' },
  });
  const compatEnv = new nj.Environment([], {
    autoescape: false,
    ...configs,
    tags: { variableStart: '{{', variableEnd: '}}' },
  });
  compatEnv.addFilter('jsonify', compatEnv.getFilter('dump'));

  const callFilter = (name, args) => {
    if (!Object.hasOwn(templateFilters, name)) {
      return '';
    }
    return JSON.stringify(templateFilters[name](...structuredClone(args)));
  };
  for (const name of Object.keys(templateFilters)) {
    env.addFilter(name, (...args) => JSON.parse(callFilter(name, args)));
  }
  for (const [name, value] of Object.entries(templateGlobals)) {
    if (typeof value === 'function') {
      env.addGlobal(name, (...args) =>
        JSON.parse(JSON.stringify(value(...structuredClone(args)))),
      );
    } else {
      env.addGlobal(name, JSON.parse(JSON.stringify(value)));
    }
  }

  return { nj, env, compatEnv };
}

function loadRenderer(options = {}) {
  const { nj, env, compatEnv } = createEnvironments(options);
  let uninstallCompat;
  const render = (str, values) => {
    try {
      if (uninstallCompat) {
        uninstallCompat();
        uninstallCompat = undefined;
      }
      return env.renderString(String(str), JSON.parse(JSON.stringify(values)));
    } catch (error) {
      throw new Error(String(error.message));
    }
  };
  const renderCompat = (str, values) => {
    try {
      if (!uninstallCompat) {
        uninstallCompat = nj.installJinjaCompat();
      }
      return compatEnv.renderString(
        String(str),
        JSON.parse(JSON.stringify(values)),
      );
    } catch (error) {
      throw new Error(String(error.message));
    }
  };
  return options.cookiecutterCompat ? renderCompat : render;
}

// plugins/scaffolder-backend/src/scaffolder/tasks/NunjucksWorkflowRunner.ts
// isSingleTemplateString.
function isSingleTemplateString(input) {
  const parsed = hostNunjucks.parser.parse(
    input,
    {},
    {
      autoescape: false,
      tags: { variableStart: '${{', variableEnd: '}}' },
    },
  );
  return (
    parsed.children.length === 1 &&
    !(parsed.children[0]?.children?.[0] instanceof hostNunjucks.nodes.TemplateData)
  );
}

// NunjucksWorkflowRunner.render: every string leaf of the input is
// rendered; a sole `${{ expr }}` keeps its type (rendered as
// `${{ ( expr ) | dump }}` and parsed back); a string that renders to ''
// becomes undefined (its key is dropped; in a list it leaves a hole); a
// string whose render throws is kept as it was written.
function renderInput(input, context, renderTemplate, warnings) {
  return JSON.parse(JSON.stringify(input), (_key, value) => {
    try {
      if (typeof value === 'string') {
        try {
          if (isSingleTemplateString(value)) {
            const wrappedDumped = value.replace(
              /\${{(.+)}}/g,
              '${{ ( $1 ) | dump }}',
            );
            const templated = renderTemplate(wrappedDumped, context);
            if (templated === '') {
              return undefined;
            }
            return JSON.parse(templated);
          }
        } catch (ex) {
          warnings.push(
            `Failed to parse template string: ${value} with error ${ex.message}`,
          );
        }
        const templated = renderTemplate(value, context);
        if (templated === '') {
          return undefined;
        }
        return templated;
      }
    } catch (ex) {
      warnings.push(`Kept unrendered: ${value} (${ex.message})`);
      return value;
    }
    return value;
  });
}

// plugins/scaffolder-backend/src/scaffolder/tasks/helper.ts isTruthy.
function isTruthy(value) {
  return Array.isArray(value) ? value.length > 0 : !!value;
}

module.exports = {
  DEFAULT_INTEGRATIONS,
  InputError,
  createDefaultFilters,
  createEnvironments,
  freshNunjucks,
  isSingleTemplateString,
  isTruthy,
  loadRenderer,
  parseRepoUrl,
  renderInput,
};
