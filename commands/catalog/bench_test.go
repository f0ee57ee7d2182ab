package catalog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// generate writes n entities (2% groups, 20% users, 2% systems, the rest
// components) as files of 100 documents each, and returns the folder.
func generate(tb testing.TB, n int) string {
	tb.Helper()
	dir := tb.TempDir()
	groups, users, systems := max(n/50, 1), n/5, max(n/50, 1)
	var b strings.Builder
	file := 0
	count := 0
	flush := func() {
		if b.Len() == 0 {
			return
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("gen-%04d.yaml", file)), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
		b.Reset()
		file++
	}
	emit := func(doc string) {
		if b.Len() > 0 {
			b.WriteString("---\n")
		}
		b.WriteString(doc)
		count++
		if count%100 == 0 {
			flush()
		}
	}
	for i := 0; i < groups; i++ {
		parent := ""
		if i > 0 {
			parent = "  parent: team-" + strconv.Itoa((i-1)/10) + "\n"
		}
		emit(fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: team-%d\n  description: Team number %d\n  annotations:\n    platbot.dev/manager: user-%d\nspec:\n  type: team\n%s  children: []\n", i, i, i*users/groups, parent))
	}
	for i := 0; i < users; i++ {
		emit(fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: user-%d\n  annotations:\n    slack.com/user-id: U%08d\nspec:\n  profile:\n    displayName: User %d\n    email: user-%d@example.com\n  memberOf: [team-%d]\n", i, i, i, i, i%groups))
	}
	for i := 0; i < systems; i++ {
		emit(fmt.Sprintf("apiVersion: backstage.io/v1alpha1\nkind: System\nmetadata:\n  name: system-%d\nspec:\n  owner: team-%d\n", i, i%groups))
	}
	lifecycles := []string{"production", "experimental", "deprecated"}
	for i := 0; count < n; i++ {
		emit(fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: service-%d
  title: Service %d
  description: Generated service number %d handles orders, payments and reports for the benchmark.
  tags: [go, tier-%d, generated]
  annotations:
    github.com/project-slug: acme/service-%d
    backstage.io/kubernetes-namespace: ns-%d
    finops/cost-tag: service=service-%d
  links:
    - url: https://runbooks.example.com/service-%d
      title: Runbook
spec:
  type: service
  lifecycle: %s
  owner: team-%d
  system: system-%d
  dependsOn: [component:service-%d]
`, i, i, i, i%3, i, i%40, i, i, lifecycles[i%3], i%groups, i%systems, max(i-1, 0)))
	}
	flush()
	return dir
}

func TestGeneratedCatalogIsValid(t *testing.T) {
	c := newTestCatalog(t, []LocationConfig{{Target: generate(t, 1000)}})
	if c.Len() != 1000 || len(c.Errors()) != 0 {
		t.Fatalf("%d entities, problems:\n%s", c.Len(), problemsText(c.Errors()))
	}
	id, _ := c.Identify(context.Background(), botUser("U00000042"))
	if id.UserRef != "user:default/user-42" || len(id.Groups) < 2 {
		t.Errorf("identity = %+v", id)
	}
}

// BenchmarkLoad reads, validates and indexes 10,000 and 100,000 entities
// from files of 100 documents: one refresh per iteration (targets: 10k ≤
// 2 s; 100k ≤ 3 s). Run the sizes apart to read rss-MB:
// go test -run X -bench 'Load/100k' ./commands/catalog/.
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			dir := generate(b, n)
			cfg := DefaultConfigWith(dir)
			b.ReportAllocs()
			cpu := cpuTime()
			var c *Catalog
			for b.Loop() {
				c = nil
				runtime.GC()
				var err error
				if c, err = New(cfg, WithLogger(quiet)); err != nil {
					b.Fatal(err)
				}
				if _, err := c.Refresh(context.Background()); err != nil {
					b.Fatal(err)
				}
				if c.Len() != n {
					b.Fatalf("%d entities; %d problems", c.Len(), len(c.Errors()))
				}
			}
			// CPU time (user+system, all threads, GC included) tells the
			// cost apart from the wall time, which depends on what else
			// runs on the machine.
			b.ReportMetric((cpuTime()-cpu).Seconds()*1000/float64(b.N), "cpu-ms/op")
			// The process's peak resident set (VmHWM), the catalog loaded.
			b.ReportMetric(vmStatus("VmHWM"), "peak-rss-MB")
			runtime.KeepAlive(c)
		})
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkRefresh10k is a refresh over an already loaded catalog (orphan
// and carry-over bookkeeping included).
func BenchmarkRefresh10k(b *testing.B) {
	c := newTestCatalog(b, []LocationConfig{{Target: generate(b, 10_000)}})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}

func loaded10k(b *testing.B) *Catalog {
	b.Helper()
	return newTestCatalog(b, []LocationConfig{{Target: generate(b, 10_000)}})
}

// BenchmarkGet looks entities up by canonical and by short ref among 10,000.
func BenchmarkGet(b *testing.B) {
	c := loaded10k(b)
	for _, ref := range []string{"component:default/service-4242", "service-4242", "user:user-17"} {
		b.Run(ref, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := c.Get(ref); !ok {
					b.Fatal("not found")
				}
			}
		})
	}
}

func BenchmarkIdentify(b *testing.B) {
	c := loaded10k(b)
	u := botUser("U00001234")
	b.ReportAllocs()
	for b.Loop() {
		if id, _ := c.Identify(context.Background(), u); !id.Known() {
			b.Fatal("unknown")
		}
	}
}

func BenchmarkSearch(b *testing.B) {
	c := loaded10k(b)
	b.ReportAllocs()
	for b.Loop() {
		if len(c.Search("servce 42", 10)) == 0 {
			b.Fatal("no results")
		}
	}
}

// BenchmarkSearchTypo searches 10,000 entities for words that only the
// typo-tolerant fallback matches, so it runs for every entity: "sevrice"
// (two letters swapped) finds the components; "chackout" finds nothing.
func BenchmarkSearchTypo(b *testing.B) {
	c := loaded10k(b)
	for _, q := range []string{"sevrice", "chackout"} {
		b.Run(q, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := c.Search(q, 10); (q == "sevrice") != (len(got) > 0) {
					b.Fatalf("Search(%q) = %d results", q, len(got))
				}
			}
		})
	}
}

// BenchmarkMemory10k reports the heap the served catalog of 10,000
// entities holds (heap-MB, after GC) and the process's resident set size
// (rss-MB, VmRSS) with it loaded (target: ≤ 150 MB).
func BenchmarkMemory10k(b *testing.B) {
	dir := generate(b, 10_000)
	var heap, rss float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		c := newTestCatalog(b, []LocationConfig{{Target: dir}})
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap = float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc)) / (1 << 20)
		rss = vmStatus("VmRSS")
		runtime.KeepAlive(c)
	}
	b.ReportMetric(heap, "heap-MB")
	b.ReportMetric(rss, "rss-MB")
}

// vmStatus reads a size field of /proc/self/status (VmRSS: the resident
// set; VmHWM: its peak) in MB (0 where /proc is absent).
func vmStatus(field string) float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
