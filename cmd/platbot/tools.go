//go:build tools

// This file pins the modules the project builds on, so go mod tidy keeps them
// while features are added package by package.
package main

import (
	_ "cel.dev/cel-go/cel"
	_ "github.com/chromedp/chromedp"
	_ "github.com/goccy/go-yaml"
	_ "github.com/google/go-github/v60/github"
	_ "github.com/hashicorp/vault/api"
	_ "github.com/lithammer/fuzzysearch/fuzzy"
	_ "github.com/pressly/goose/v3"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/prometheus/client_golang/prometheus/promhttp"
	_ "github.com/robfig/cron/v3"
	_ "github.com/slack-go/slack"
	_ "github.com/slack-go/slack/slackevents"
	_ "github.com/slack-go/slack/socketmode"
	_ "golang.org/x/sync/errgroup"
	_ "gonum.org/v1/plot"
	_ "gonum.org/v1/plot/plotter"
	_ "gonum.org/v1/plot/vg"
	_ "gopkg.in/yaml.v3"
	_ "k8s.io/client-go/dynamic"
	_ "k8s.io/client-go/dynamic/fake"
	_ "k8s.io/client-go/kubernetes"
	_ "k8s.io/client-go/kubernetes/fake"
	_ "k8s.io/client-go/tools/clientcmd"
	_ "k8s.io/client-go/tools/leaderelection"
	_ "modernc.org/sqlite"
	_ "sigs.k8s.io/yaml"
)
