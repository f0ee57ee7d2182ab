package slack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/platbot/platbot/bot"
)

var _ bot.MessageFinder = (*Messenger)(nil)

// FindPosted looks through the channel's history since since for a message
// whose metadata has eventType and {"key": key} (bot.MessageFinder).
// channel may be a name ("#team-payments"), which is resolved with
// conversations.list first: conversations.history takes ids only.
func (m *Messenger) FindPosted(ctx context.Context, channel string, since time.Time, eventType, key string) (bot.MessageRef, bool, error) {
	id, err := m.channelID(ctx, channel)
	if err != nil {
		return bot.MessageRef{}, false, err
	}
	params := &goslack.GetConversationHistoryParameters{
		ChannelID: id, Oldest: slackTS(since), Inclusive: true, Limit: 200, IncludeAllMetadata: true,
	}
	for {
		res, err := m.api.GetConversationHistoryContext(ctx, params)
		if err != nil {
			return bot.MessageRef{}, false, classify("conversations.history", err)
		}
		for _, msg := range res.Messages {
			md := msg.Metadata
			if md.EventType == eventType && fmt.Sprint(md.EventPayload["key"]) == key {
				return bot.MessageRef{Channel: id, TS: msg.Timestamp}, true, nil
			}
		}
		if !res.HasMore || res.ResponseMetaData.NextCursor == "" {
			return bot.MessageRef{}, false, nil
		}
		params.Cursor = res.ResponseMetaData.NextCursor
	}
}

// channelID resolves a channel name to its id; an id is returned as is.
func (m *Messenger) channelID(ctx context.Context, channel string) (string, error) {
	name, isName := strings.CutPrefix(channel, "#")
	if !isName {
		return channel, nil
	}
	params := &goslack.GetConversationsParameters{ExcludeArchived: true, Limit: 1000, Types: []string{"public_channel", "private_channel"}}
	for {
		chans, cursor, err := m.api.GetConversationsContext(ctx, params)
		if err != nil {
			return "", classify("conversations.list", err)
		}
		for _, c := range chans {
			if c.Name == name {
				return c.ID, nil
			}
		}
		if cursor == "" {
			return "", fmt.Errorf("slack: no channel %s that the app can see (invite it, or check the name)", channel)
		}
		params.Cursor = cursor
	}
}

// slackTS is t as a Slack message timestamp ("seconds.micros").
func slackTS(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return strconv.FormatInt(t.Unix(), 10) + "." + fmt.Sprintf("%06d", t.Nanosecond()/1000)
}
