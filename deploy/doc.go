// Package deploy holds platbot's Kubernetes manifests, a kustomization a
// platform team applies with `kubectl apply -k deploy/` (see README.md in
// this folder). It has no Go code of its own: its tests render the
// kustomization with the kustomize API, decode every object strictly into
// its Kubernetes type, check the properties the deployment promises, and
// apply each object with a server-side dry run against a real
// kube-apiserver (integrations/testenv).
package deploy
