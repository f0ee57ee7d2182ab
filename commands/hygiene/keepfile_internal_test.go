package hygiene

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keepFile keeps a file that is itself a configured location (a GitHub
// file URL, or a local path however it was written) and a file of a
// proposal that did not record its location; it deletes any other.
func TestKeepFile(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	url := "https://github.com/acme/payments/blob/main/catalog-info.yaml"
	for _, c := range []struct {
		loc, file, want string
	}{
		{"url:" + url, url, "is itself the configured catalog location `url:" + url + "`"},
		{"url:https://github.com/acme/payments/blob/main/catalog", url, ""},
		{"file:./catalog/../solo.yaml", filepath.Join(wd, "solo.yaml"), "Remove it from `catalog.locations`"},
		{"file:catalog", "catalog/solo.yaml", ""},
		{"", "catalog/solo.yaml", "cannot tell whether the file is itself a configured location"},
	} {
		got := keepFile(&Decision{Location: c.loc, File: c.file})
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("keepFile(%q, %q) = %q, want %q", c.loc, c.file, got, c.want)
		}
	}
}
