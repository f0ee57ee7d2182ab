'use strict';

// The generated skeleton of the templating benchmark. Its recipe is the one
// of commands/paths/templating/bench_test.go (func skeleton and
// BenchmarkRenderSkeleton's values), so the Go and the Node benchmark
// render the same texts; README.md spells the recipe out.

function pad3(i) {
  return String(i).padStart(3, '0');
}

// skeleton(n) returns [name, body] pairs for i = 0 … n-1.
function skeleton(n) {
  const files = [];
  for (let i = 0; i < n; i++) {
    let b = '';
    b += 'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name | dump }}\n';
    b += '  {%- if values.description %}\n  description: ${{ values.description | dump }}\n  {%- endif %}\n';
    b += '  annotations:\n    github.com/project-slug: ${{ values.destination.owner + "/" + values.destination.repo }}\n';
    b += '  tags:\n  {%- for t in values.tags %}\n    - ${{ t | lower | dump }}\n  {%- endfor %}\n';
    b += 'spec:\n  owner: ${{ values.owner | parseEntityRef | pick("name") }}\n';
    b += '  {%- if values.replicas > 1 %}\n  replicas: ${{ values.replicas }}\n  {%- else %}\n  replicas: 1\n  {%- endif %}\n';
    for (let j = 0; j < 20; j++) {
      b += `# line ${j} of file ${i} for \${{ values.name }} in \${{ values.destination.repo }}\n`;
    }
    files.push([`\${{ values.name }}/file-${pad3(i)}.yaml`, b]);
  }
  return files;
}

// The context every file is rendered with.
const benchValues = {
  values: {
    name: 'payments',
    description: 'Payments service',
    destination: { owner: 'acme', repo: 'payments' },
    tags: ['Go', 'gRPC', 'Payments'],
    owner: 'group:default/team-a',
    replicas: 3,
  },
};

// What file i renders to with benchValues.
function expected(i) {
  let want =
    'apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: "payments"\n' +
    '  description: "Payments service"\n' +
    '  annotations:\n    github.com/project-slug: acme/payments\n' +
    '  tags:\n    - "go"\n    - "grpc"\n    - "payments"\n' +
    'spec:\n  owner: team-a\n  replicas: 3\n';
  for (let j = 0; j < 20; j++) {
    want += `# line ${j} of file ${i} for payments in payments\n`;
  }
  return want;
}

module.exports = { skeleton, benchValues, expected };
