package catalog

import (
	"sync"
	"testing"

	"github.com/platbot/platbot/bot"
	"github.com/platbot/platbot/bot/bottest"
)

// fixedSection adds one context block naming the entity.
type fixedSection string

func (s fixedSection) ServiceCardBlocks(e *Entity) []bot.Block {
	return []bot.Block{bot.Context{Text: string(s) + " " + e.Metadata.Name}}
}

// TestCardSections: sections added by other features show on the service
// card, in order, before the source line; adding one while cards render
// is safe (run with -race).
func TestCardSections(t *testing.T) {
	c := examples(t)
	m := bottest.NewMessenger()
	if err := run(t, c, m, "U0CHKCARLOS", "service", "checkout-service"); err != nil {
		t.Fatal(err)
	}
	before := len(m.Last().Msg.Blocks)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e, _ := c.Get("component:default/checkout-service")
		for range 50 {
			c.ServiceCard(e)
		}
	}()
	c.AddCardSection(fixedSection("first"))
	c.AddCardSection(fixedSection("second"))
	wg.Wait()

	if err := run(t, c, m, "U0CHKCARLOS", "service", "checkout-service"); err != nil {
		t.Fatal(err)
	}
	blocks := m.Last().Msg.Blocks
	if len(blocks) != before+2 {
		t.Fatalf("%d blocks, want %d", len(blocks), before+2)
	}
	var texts []string
	for _, b := range blocks {
		if cx, ok := b.(bot.Context); ok {
			texts = append(texts, cx.Text)
		}
	}
	n := len(texts)
	if n < 3 || texts[n-3] != "first checkout-service" || texts[n-2] != "second checkout-service" {
		t.Fatalf("context blocks = %q: want the sections in order right before the source line", texts)
	}
}
