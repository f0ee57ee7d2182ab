#!/usr/bin/env node
'use strict';

// Benchmark of Node's nunjucks on the generated 200-file skeleton
// (skeleton.js), printed in Go's benchmark format so that benchstat can
// compare it with commands/paths/templating's BenchmarkRenderSkeleton.
//
//   node bench.js [-count N] [-benchtime 1s|100x] [-name BenchmarkRenderSkeleton]
//
// One op renders every file name and every file body (400 renders):
//   cold  Backstage's renderer (SecureTemplater as fetch:template uses it):
//         renderString, which compiles the text each time, with the values
//         and each filter result passed through JSON as they cross the
//         isolate boundary. Backstage has no template cache.
//   warm  each text compiled once (nunjucks.Template, eager), then rendered
//         again: the best case nunjucks itself allows.

const os = require('os');
const { createDefaultFilters, createEnvironments, DEFAULT_INTEGRATIONS, loadRenderer } = require('./backstage');
const { skeleton, benchValues, expected } = require('./skeleton');

const FILES = 200;

function parseArgs(argv) {
  const opts = { count: 1, benchtime: '1s', name: 'BenchmarkNunjucksSkeleton200' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i].replace(/^--?/, '');
    const value = argv[i + 1];
    if (!['count', 'benchtime', 'name'].includes(flag) || value === undefined) {
      console.error('usage: node bench.js [-count N] [-benchtime 1s|100x] [-name NAME]');
      process.exit(2);
    }
    opts[flag] = flag === 'count' ? Number(value) : value;
    i++;
  }
  const m = /^(\d+(?:\.\d+)?)(s|x)$/.exec(opts.benchtime);
  if (!m || !(opts.count >= 1)) {
    console.error('-benchtime takes a duration like 1s or a count like 100x; -count a positive number');
    process.exit(2);
  }
  opts.seconds = m[2] === 's' ? Number(m[1]) : undefined;
  opts.iterations = m[2] === 'x' ? Number(m[1]) : undefined;
  return opts;
}

function variants() {
  const filters = createDefaultFilters(DEFAULT_INTEGRATIONS);
  const files = skeleton(FILES);

  const render = loadRenderer({ templateFilters: filters });
  const cold = () => {
    const out = [];
    for (const [name, body] of files) {
      out.push(render(name, benchValues), render(body, benchValues));
    }
    return out;
  };

  const { nj, env } = createEnvironments({ templateFilters: filters });
  const compiled = files.map(([name, body]) => [
    new nj.Template(name, env, `name-${name}`, true),
    new nj.Template(body, env, `body-${name}`, true),
  ]);
  const warm = () => {
    const out = [];
    for (const [name, body] of compiled) {
      out.push(name.render(benchValues), body.render(benchValues));
    }
    return out;
  };
  return { cold, warm };
}

// Each variant must render the skeleton to what its recipe says before it
// is timed.
function check(label, fn) {
  const out = fn();
  for (let i = 0; i < FILES; i++) {
    const wantName = `payments/file-${String(i).padStart(3, '0')}.yaml`;
    if (out[2 * i] !== wantName || out[2 * i + 1] !== expected(i)) {
      throw new Error(
        `${label}: file ${i} renders to\n${out[2 * i]}\n${out[2 * i + 1]}\nwant\n${wantName}\n${expected(i)}`,
      );
    }
  }
}

function runN(fn, n) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start);
}

// Go's testing.B rule: grow N until the run takes the bench time.
function measure(fn, opts) {
  if (opts.iterations) {
    return { n: opts.iterations, ns: runN(fn, opts.iterations) };
  }
  const target = opts.seconds * 1e9;
  let n = 1;
  let ns = runN(fn, n);
  while (ns < target && n < 1e9) {
    const perOp = Math.max(ns / n, 1);
    let next = Math.ceil((target * 1.2) / perOp);
    next = Math.min(Math.max(next, n + 1), 100 * n);
    n = next;
    ns = runN(fn, n);
  }
  return { n, ns };
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const procs = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  const v = variants();
  check('cold', v.cold);
  check('warm', v.warm);

  console.log(`goos: ${process.platform}`);
  console.log(`goarch: ${process.arch === 'x64' ? 'amd64' : process.arch}`);
  // No pkg: or cpu: line: benchstat keeps results whose configuration
  // differs apart, and Go's lines name a Go package and the CPU's brand
  // string. README.md shows how to compare.
  console.log(`# nunjucks@${require('nunjucks/package.json').version} node@${process.versions.node}`);
  for (let c = 0; c < opts.count; c++) {
    for (const [label, fn] of Object.entries(v)) {
      fn(); // warm the JIT as Go's first b.N=1 round does
      const { n, ns } = measure(fn, opts);
      const nsPerOp = ns / n;
      const msPerRender = nsPerOp / (2 * FILES) / 1e6;
      console.log(
        `${opts.name}/${label}-${procs}\t${String(n).padStart(8)}\t${nsPerOp.toFixed(0).padStart(12)} ns/op\t${msPerRender.toFixed(4)} ms/render`,
      );
    }
  }
  console.log('PASS');
}

main();
