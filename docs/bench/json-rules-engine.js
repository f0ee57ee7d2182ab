// The same shape as `platbot bench scorecard`: 10,000 services x 25 checks
// cycling through the same 13 rule templates, facts in memory, with
// json-rules-engine (the engine of Backstage Tech Insights). Flat facts and
// custom operators where the built-in ones fall short (string contains,
// time windows, sizes), as a Tech Insights fact retriever would provide.
const { Engine } = require('json-rules-engine');
const S = +(process.argv[2] || 10000), C = +(process.argv[3] || 25);
const H = 3600 * 1000;
const engine = new Engine([], { allowUndefinedFacts: true });
engine.addOperator('strContains', (a, b) => typeof a === 'string' && a.includes(b));
engine.addOperator('withinHours', (t, h) => t >= Date.now() - h * H);
engine.addOperator('sizeGreater', (a, n) => a != null && a.length > n);
const tmpl = [
  (n) => ({ any: [{ fact: 'readme', operator: 'strContains', value: '## Runbook' }, { fact: 'zero', operator: 'lessThan', value: -n }] }),
  (n) => ({ any: [{ fact: 'oncall_confirmed', operator: 'equal', value: true }, { fact: 'zero', operator: 'lessThan', value: -n }] }),
  (n) => ({ all: [{ fact: 'deploy_last', operator: 'withinHours', value: n }] }),
  (n) => ({ all: [{ fact: 'vulns_critical', operator: 'lessThanInclusive', value: n }] }),
  (n) => ({ any: [{ fact: 'codeowners', operator: 'equal', value: true }, { fact: 'zero', operator: 'lessThan', value: -n }] }),
  (n) => ({ all: [{ fact: 'workflows', operator: 'sizeGreater', value: n }] }),
  (n) => ({ all: [{ fact: 'vulns_high', operator: 'lessThan', value: n }] }),
  (n) => ({ any: [{ fact: 'lifecycle', operator: 'notEqual', value: 'production' }, { fact: 'oncall_confirmed', operator: 'equal', value: true }] }),
  (n) => ({ all: [{ fact: 'last_commit', operator: 'withinHours', value: n }] }),
  (n) => ({ any: [{ fact: 'tags', operator: 'contains', value: `tier-${n}` }, { fact: 'type', operator: 'equal', value: 'service' }] }),
  (n) => ({ all: [{ fact: 'owner_found', operator: 'equal', value: true }, { fact: 'owner_is_group', operator: 'equal', value: true }] }),
  (n) => ({ all: [{ fact: 'vulns_medium_high', operator: 'lessThan', value: n }] }),
  (n) => ({ all: [{ fact: 'readme', operator: 'sizeGreater', value: n }] }),
];
for (let i = 0; i < C; i++) {
  const k = i % tmpl.length;
  let n = 24 * (10 + i);
  if (k === 3) n = Math.floor(i / tmpl.length); else if (k === 5 || k === 12) n = i % 7; else if (k === 6 || k === 11) n = 3 + i % 5;
  engine.addRule({ name: `bench-${i}`, conditions: tmpl[k](n), event: { type: `pass-${i}` } });
}
(async () => {
  const now = Date.now(), facts = [];
  for (let s = 0; s < S; s++) {
    facts.push({
      zero: 0, readme: s % 4 ? '# svc\n\n## Runbook\nRestart it.' : '# svc', oncall_confirmed: s % 5 !== 0,
      deploy_last: now - (s % 60) * 24 * H, vulns_critical: s % 7 === 0 ? 2 : 0, codeowners: s % 3 !== 0,
      workflows: ['ci.yaml', 'release.yaml'].slice(0, s % 3), vulns_high: s % 6, lifecycle: s % 4 ? 'production' : 'experimental',
      last_commit: now - (s % 90) * 24 * H, tags: ['go', `tier-${s % 3}`], type: 'service', owner_found: true,
      owner_is_group: true, vulns_medium_high: s % 9,
    });
  }
  let passed = 0;
  const pass = async () => { passed = 0; for (const f of facts) { const r = await engine.run(f); passed += r.events.length; } };
  await pass(); // warm-up (JIT), then the median of five timed passes
  const times = [];
  for (let p = 0; p < 5; p++) { const t0 = process.hrtime.bigint(); await pass(); times.push(Number(process.hrtime.bigint() - t0) / 1e6); }
  times.sort((a, b) => a - b);
  const ms = times[2];
  console.log(`json-rules-engine ${require('json-rules-engine/package.json').version}: ${S} services x ${C} checks = ${S * C} evaluations in ${ms.toFixed(0)} ms (${Math.round(S * C / ms * 1000)} evaluations/s), ${passed} passed`);
})();
