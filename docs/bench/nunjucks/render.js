#!/usr/bin/env node
'use strict';

// Renders a Backstage software template (template.yaml + skeleton) with a
// values file the way Backstage's scaffolder would, and writes the
// resulting working directory plus steps.json (each step's rendered input).
//
//   node render.js --all
//       every fixture under commands/paths/testdata/backstage/templates/
//       into commands/paths/testdata/backstage/golden/
//   node render.js TEMPLATE_DIR VALUES_FILE OUT_DIR
//       one template
//
// README.md beside this file describes the semantics and their sources.

const fs = require('fs');
const os = require('os');
const path = require('path');
const yaml = require('yaml');
const globby = require('globby');
const { isBinaryFile } = require('isbinaryfile');
const catalogModel = require('@backstage/catalog-model');
const {
  DEFAULT_INTEGRATIONS,
  InputError,
  createDefaultFilters,
  isTruthy,
  loadRenderer,
  parseRepoUrl,
  renderInput,
} = require('./backstage');

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const FIXTURES = path.join(REPO_ROOT, 'commands/paths/testdata/backstage/templates');
const GOLDEN = path.join(REPO_ROOT, 'commands/paths/testdata/backstage/golden');

// The task id Backstage would generate (a UUID); fixed for reproducible goldens.
const TASK_ID = '00000000-0000-4000-8000-000000000000';

const SUPPORTED = new Set([
  'fetch:template',
  'fetch:plain',
  'fetch:plain:file',
  'publish:github',
  'publish:github:pull-request',
  'catalog:register',
  'catalog:write',
  'debug:log',
]);

function isUrl(s) {
  try {
    // eslint-disable-next-line no-new
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

// @backstage/backend-plugin-api resolveSafeChildPath (without symlink
// resolution: the fixtures have no symbolic links).
function resolveSafeChildPath(base, p) {
  const target = path.resolve(base, p);
  const rel = path.relative(base, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) {
    throw new InputError(
      'Relative path is not allowed to refer to a directory outside its parent',
    );
  }
  return target;
}

// plugins/scaffolder-node/src/actions/fetch.ts fetchContents, local branch
// (a relative url next to a template read from a file location): fs.copy.
function fetchLocalContents(templateDir, url, outputPath) {
  const src = resolveSafeChildPath(templateDir, url);
  fs.cpSync(src, outputPath, { recursive: true, force: true });
}

// plugins/scaffolder-backend/src/scaffolder/actions/builtin/fetch/
// templateActionHandler.ts (resolveTemplateActionSettings and the handler).
async function fetchTemplate(input, templateDir, workspacePath, integrations) {
  const targetPath = input.targetPath ?? './';
  const outputDir = resolveSafeChildPath(workspacePath, targetPath);

  if (input.copyWithoutRender && input.copyWithoutTemplating) {
    throw new InputError(
      'Fetch action input copyWithoutRender and copyWithoutTemplating can not be used at the same time',
    );
  }
  let copyOnlyPatterns;
  let renderFilename;
  if (input.copyWithoutRender) {
    copyOnlyPatterns = input.copyWithoutRender;
    renderFilename = false;
  } else {
    copyOnlyPatterns = input.copyWithoutTemplating;
    renderFilename = true;
  }
  if (copyOnlyPatterns && !Array.isArray(copyOnlyPatterns)) {
    throw new InputError(
      'Fetch action input copyWithoutRender/copyWithoutTemplating must be an Array',
    );
  }
  if (input.templateFileExtension && (copyOnlyPatterns || input.cookiecutterCompat)) {
    throw new InputError(
      'Fetch action input extension incompatible with copyWithoutRender/copyWithoutTemplating and cookiecutterCompat',
    );
  }
  let extension = false;
  if (input.templateFileExtension) {
    extension = input.templateFileExtension === true ? '.njk' : input.templateFileExtension;
    if (!extension.startsWith('.')) {
      extension = `.${extension}`;
    }
  }

  // The skeleton is first copied into a temporary folder (fetchContents).
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'fetch-template-'));
  try {
    const skeletonDir = path.join(workDir, 'template');
    fetchLocalContents(templateDir, input.url ?? '.', skeletonDir);

    const globOptions = {
      cwd: skeletonDir,
      dot: true,
      onlyFiles: false,
      markDirectories: true,
      followSymbolicLinks: false,
    };
    const allEntriesInTemplate = await globby('**/*', globOptions);
    const nonTemplatedEntries = new Set(await globby(copyOnlyPatterns || [], globOptions));

    const { cookiecutterCompat, values } = input;
    const context = { [cookiecutterCompat ? 'cookiecutter' : 'values']: values };

    const renderTemplate = loadRenderer({
      cookiecutterCompat,
      templateFilters: createDefaultFilters(integrations),
      templateGlobals: {},
      nunjucksConfigs: {
        trimBlocks: input.trimBlocks,
        lstripBlocks: input.lstripBlocks,
      },
    });

    for (const location of allEntriesInTemplate) {
      let renderContents;
      let localOutputPath = location;
      if (extension) {
        renderContents = path.extname(localOutputPath) === extension;
        if (renderContents) {
          localOutputPath = localOutputPath.slice(0, -extension.length);
        }
        localOutputPath = renderTemplate(localOutputPath, context);
      } else {
        renderContents = !nonTemplatedEntries.has(location);
        if (renderFilename) {
          localOutputPath = renderTemplate(localOutputPath, context);
        } else {
          localOutputPath = renderContents
            ? renderTemplate(localOutputPath, context)
            : localOutputPath;
        }
      }

      if (
        localOutputPath === '' ||
        localOutputPath.startsWith('/') ||
        localOutputPath.includes('//')
      ) {
        continue;
      }

      const outputPath = resolveSafeChildPath(outputDir, localOutputPath);
      if (fs.existsSync(outputPath) && !input.replace) {
        continue;
      }

      if (location.endsWith('/')) {
        fs.mkdirSync(outputPath, { recursive: true });
      } else {
        const inputFilePath = resolveSafeChildPath(skeletonDir, location);
        const stats = fs.lstatSync(inputFilePath);
        if (stats.isSymbolicLink() || (await isBinaryFile(inputFilePath))) {
          fs.mkdirSync(path.dirname(outputPath), { recursive: true });
          fs.cpSync(inputFilePath, outputPath, { force: true });
        } else {
          const { mode } = fs.statSync(inputFilePath);
          const inputFileContents = fs.readFileSync(inputFilePath, 'utf-8');
          fs.mkdirSync(path.dirname(outputPath), { recursive: true });
          fs.writeFileSync(
            outputPath,
            renderContents ? renderTemplate(inputFileContents, context) : inputFileContents,
            { mode },
          );
        }
      }
    }
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

// Publishing and registering talk to GitHub and the catalog; their outputs
// are stand-ins derived from the rendered input (README.md, "Step outputs").
function publishGithubOutput(input, integrations) {
  const { host, owner, repo } = parseRepoUrl(input.repoUrl, integrations);
  const html = `https://${host}/${owner}/${repo}`;
  return {
    remoteUrl: `${html}.git`,
    repoContentsUrl: `${html}/blob/${input.defaultBranch ?? 'master'}`,
    commitHash: '0000000000000000000000000000000000000000',
  };
}

function publishPullRequestOutput(input, integrations) {
  const { host, owner, repo } = parseRepoUrl(input.repoUrl, integrations);
  return {
    targetBranchName: input.targetBranchName ?? 'main',
    remoteUrl: `https://${host}/${owner}/${repo}/pull/1`,
    pullRequestNumber: 1,
  };
}

function catalogRegisterOutput(input, workspacePath) {
  const catalogInfoPath = input.catalogInfoPath ?? '/catalog-info.yaml';
  const catalogInfoUrl =
    input.catalogInfoUrl ?? `${input.repoContentsUrl}${catalogInfoPath}`;
  const output = { catalogInfoUrl };
  const local = path.join(workspacePath, catalogInfoPath);
  if (!input.catalogInfoUrl && fs.existsSync(local)) {
    try {
      const entity = yaml.parse(fs.readFileSync(local, 'utf-8'));
      output.entityRef = catalogModel.stringifyEntityRef({
        kind: entity.kind,
        namespace: entity.metadata.namespace ?? 'default',
        name: entity.metadata.name,
      });
    } catch {
      // A descriptor the catalog could not read yields no entityRef.
    }
  }
  return output;
}

function loadYamlWithLines(file) {
  const src = fs.readFileSync(file, 'utf-8');
  const lineCounter = new yaml.LineCounter();
  const doc = yaml.parseDocument(src, { lineCounter });
  if (doc.errors.length) {
    throw new Error(`${file}: ${doc.errors[0].message}`);
  }
  const lineOf = keyPath => {
    const node = doc.getIn(keyPath, true);
    if (!node || !node.range) {
      return undefined;
    }
    return lineCounter.linePos(node.range[0]).line;
  };
  return { data: doc.toJSON(), lineOf };
}

// Backstage's router builds the task's steps from the template:
// id defaults to `step-<n>` (1-based), name to the action.
function taskSteps(template) {
  return (template.spec.steps ?? []).map((step, index) => ({
    ...step,
    id: step.id ?? `step-${index + 1}`,
    name: step.name ?? step.action,
  }));
}

function unsupportedSteps(template, lineOf) {
  return taskSteps(template)
    .map((step, index) => ({ step, line: lineOf(['spec', 'steps', index, 'action']) }))
    .filter(({ step }) => !SUPPORTED.has(step.action));
}

// NunjucksWorkflowRunner.execute / executeStep, with the supported actions.
async function runTemplate(templateDir, valuesFile, outDir) {
  const { data: template, lineOf } = loadYamlWithLines(path.join(templateDir, 'template.yaml'));
  const values = yaml.parse(fs.readFileSync(valuesFile, 'utf-8')) ?? {};

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });

  const unsupported = unsupportedSteps(template, lineOf);
  if (unsupported.length) {
    const lines = unsupported.map(
      ({ step, line }) => `${step.id}\t${step.action}\ttemplate.yaml:${line}`,
    );
    fs.writeFileSync(
      path.join(outDir, 'UNSUPPORTED'),
      `# step id\taction\tline of the step's action: in template.yaml\n${lines.join('\n')}\n`,
    );
    return { supported: false, unsupported };
  }

  const integrations = { ...DEFAULT_INTEGRATIONS, ...(values.integrations ?? {}) };
  const renderTemplate = loadRenderer({
    templateFilters: createDefaultFilters(integrations),
    templateGlobals: {},
  });

  const workspacePath = fs.mkdtempSync(path.join(os.tmpdir(), 'backstage-workspace-'));
  const context = {
    parameters: values.parameters ?? {},
    environment: { parameters: {}, secrets: {} },
    steps: {},
    user: values.user,
    context: { task: { id: TASK_ID } },
  };

  const report = [];
  try {
    const steps = taskSteps(template);
    for (const [index, step] of steps.entries()) {
      const entry = {
        id: step.id,
        name: step.name,
        action: step.action,
        line: lineOf(['spec', 'steps', index, 'action']),
      };
      if (step.if !== undefined) entry.if = step.if;
      if (step.each !== undefined) entry.each = step.each;
      const warnings = [];
      report.push(entry);

      if (
        step.if === false ||
        (typeof step.if === 'string' &&
          step.each === undefined &&
          !isTruthy(renderInput(step.if, context, renderTemplate, warnings)))
      ) {
        entry.skipped = true;
        if (warnings.length) entry.warnings = warnings;
        continue;
      }
      entry.skipped = false;

      const preIterationContext = {
        ...context,
        environment: { parameters: {}, secrets: {} },
        secrets: {},
      };
      const resolvedEach =
        step.each && renderInput(step.each, preIterationContext, renderTemplate, warnings);
      if (step.each && !resolvedEach) {
        throw new InputError(
          `Invalid value on action ${step.action}.each parameter, "${step.each}" cannot be resolved to a value`,
        );
      }
      const iterations = (
        resolvedEach
          ? Object.entries(resolvedEach).map(([key, value]) => ({ each: { key, value } }))
          : [{}]
      ).map(i => {
        const fullContext = { ...preIterationContext, ...i };
        const shouldRun =
          !('each' in i) ||
          !step.if ||
          isTruthy(renderInput(step.if, fullContext, renderTemplate, warnings));
        return {
          ...i,
          shouldRun,
          input: step.input ? renderInput(step.input, fullContext, renderTemplate, warnings) : {},
        };
      });

      const stepOutput = {};
      const output = (name, value) => {
        if (step.each) {
          stepOutput[name] = stepOutput[name] || [];
          stepOutput[name].push(value);
        } else {
          stepOutput[name] = value;
        }
      };
      for (const iteration of iterations) {
        if (!iteration.shouldRun) continue;
        const { input } = iteration;
        switch (step.action) {
          case 'fetch:template':
            if (isUrl(input.url ?? '.')) {
              iteration.note = 'remote url: not fetched';
            } else {
              await fetchTemplate(input, templateDir, workspacePath, integrations);
            }
            break;
          case 'fetch:plain':
            if (isUrl(input.url ?? '.')) {
              iteration.note = 'remote url: not fetched';
            } else {
              const outputPath = resolveSafeChildPath(workspacePath, input.targetPath ?? './');
              fetchLocalContents(templateDir, input.url ?? '.', outputPath);
            }
            break;
          case 'fetch:plain:file':
            if (isUrl(input.url)) {
              iteration.note = 'remote url: not fetched';
            } else {
              const outputPath = resolveSafeChildPath(workspacePath, input.targetPath);
              fs.mkdirSync(path.dirname(outputPath), { recursive: true });
              fs.copyFileSync(resolveSafeChildPath(templateDir, input.url), outputPath);
            }
            break;
          case 'catalog:write':
            fs.writeFileSync(
              resolveSafeChildPath(workspacePath, input.filePath ?? 'catalog-info.yaml'),
              yaml.stringify(input.entity),
            );
            break;
          case 'publish:github':
            for (const [k, v] of Object.entries(publishGithubOutput(input, integrations))) output(k, v);
            break;
          case 'publish:github:pull-request':
            for (const [k, v] of Object.entries(publishPullRequestOutput(input, integrations))) output(k, v);
            break;
          case 'catalog:register':
            for (const [k, v] of Object.entries(catalogRegisterOutput(input, workspacePath))) output(k, v);
            break;
          case 'debug:log':
            break;
          default:
            throw new Error(`unreachable: ${step.action}`);
        }
      }
      context.steps[step.id] = { output: stepOutput };

      if (step.each) {
        entry.iterations = iterations.map(({ each, shouldRun, input, note }) => ({
          each,
          shouldRun,
          input,
          ...(note ? { note } : {}),
        }));
      } else {
        entry.input = iterations[0].input;
        if (iterations[0].note) entry.note = iterations[0].note;
      }
      entry.output = stepOutput;
      if (warnings.length) entry.warnings = warnings;
    }

    const outputWarnings = [];
    const templateOutput = template.spec.output
      ? renderInput(template.spec.output, context, renderTemplate, outputWarnings)
      : undefined;

    const reserved = ['steps.json', 'UNSUPPORTED'].filter(f =>
      fs.existsSync(path.join(workspacePath, f)),
    );
    if (reserved.length) {
      throw new Error(`the working directory holds ${reserved.join(', ')}, which the golden folder reserves`);
    }
    fs.cpSync(workspacePath, outDir, { recursive: true });
    const doc = {
      template: template.metadata.name,
      taskId: TASK_ID,
      steps: report,
      output: templateOutput,
    };
    if (outputWarnings.length) doc.outputWarnings = outputWarnings;
    fs.writeFileSync(path.join(outDir, 'steps.json'), `${JSON.stringify(doc, null, 2)}\n`);
  } finally {
    fs.rmSync(workspacePath, { recursive: true, force: true });
  }
  return { supported: true };
}

async function main(argv) {
  if (argv[0] === '--all' && argv.length === 1) {
    const names = fs
      .readdirSync(FIXTURES, { withFileTypes: true })
      .filter(d => d.isDirectory())
      .map(d => d.name)
      .sort();
    for (const name of names) {
      const dir = path.join(FIXTURES, name);
      const res = await runTemplate(dir, path.join(dir, 'values.yaml'), path.join(GOLDEN, name));
      if (res.supported) {
        console.log(`${name}: rendered`);
      } else {
        const why = res.unsupported.map(u => `${u.step.id} (${u.step.action})`).join(', ');
        console.log(`${name}: UNSUPPORTED ${why}`);
      }
    }
    return;
  }
  if (argv.length === 3) {
    const [templateDir, valuesFile, outDir] = argv.map(a => path.resolve(a));
    const res = await runTemplate(templateDir, valuesFile, outDir);
    console.log(res.supported ? 'rendered' : 'UNSUPPORTED');
    return;
  }
  console.error('usage: node render.js --all | node render.js TEMPLATE_DIR VALUES_FILE OUT_DIR');
  process.exit(2);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch(err => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
}

module.exports = { runTemplate };
