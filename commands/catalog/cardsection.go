package catalog

import "github.com/platbot/platbot/bot"

// CardSection adds blocks to service cards (/plat service): another
// feature's live view of the service, such as its deployments. The catalog
// calls it while rendering and never imports the feature.
type CardSection interface {
	// ServiceCardBlocks returns the blocks to show for e (none to show
	// nothing). It is called for every card, so it must answer from
	// memory, quickly, and be safe for concurrent use.
	ServiceCardBlocks(e *Entity) []bot.Block
}

// AddCardSection adds s to every service card, after the annotations and
// before the source line, in the order sections were added. It is safe to
// call while cards are rendered.
func (c *Catalog) AddCardSection(s CardSection) {
	for {
		old := c.cardSections.Load()
		var next []CardSection
		if old != nil {
			next = append(next, *old...)
		}
		next = append(next, s)
		if c.cardSections.CompareAndSwap(old, &next) {
			return
		}
	}
}
