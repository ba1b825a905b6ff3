package discord

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// "Share in channel" on Discord: every story of a private reply gets a
// button (custom_id bot.ShareCustomID); pressing it arrives as a message
// component interaction, through the interactions endpoint or the gateway,
// and becomes a bot.ShareCommand run through the same reply path as a
// typed command. The core posts the story; this file only draws the
// buttons, reads the presses and shows who shared a post.

// Discord's limits on a message's components.
const (
	maxActionRows    = 5   // action rows per message
	maxRowButtons    = 5   // buttons per action row
	maxSelectOptions = 25  // options per select menu
	maxButtonLabel   = 80  // characters of a button's label
	maxCustomID      = 100 // characters of a custom_id or an option's value
	maxOptionText    = 100 // characters of an option's label or description
	// shareLabelTitle is how much of a story's title a button's label shows
	// when a reply has several buttons: short, so that rows stay readable.
	shareLabelTitle = 40
)

// shareMenuPrefix starts the custom_id of a "Share a story…" select menu
// ("digest_share:menu0"); the chosen option's value is the StoryRef.
const shareMenuPrefix = bot.ShareActionID + ":menu"

// shareable is one story a reply shows, with a name for its button.
type shareable struct {
	ref   bot.StoryRef
	title string
	about string // a context line, for a select option's description
}

// shareables lists the stories of the sections a reply shows (sections
// then their links, in order), each once.
func shareables(secs []bot.Section) []shareable {
	var out []shareable
	seen := map[bot.StoryRef]bool{}
	add := func(ref bot.StoryRef, title, about string) {
		if ref.IsZero() || seen[ref] || len(bot.ShareCustomID(ref)) > maxCustomID {
			return
		}
		seen[ref] = true
		out = append(out, shareable{ref: ref, title: buttonText(title), about: buttonText(about)})
	}
	for _, s := range secs {
		title := s.Title
		if strings.TrimSpace(title) == "" {
			title = s.Text
		}
		add(s.Share, title, s.Meta)
		for _, l := range s.Links {
			text := l.Text
			if strings.TrimSpace(text) == "" {
				text = l.URL
			}
			add(l.Share, text, s.Title)
		}
	}
	return out
}

// buttonText makes s fit for a component's plain-text label: valid UTF-8,
// one line. Labels render no Markdown and mention nobody.
func buttonText(s string) string {
	return oneLine(plainText(s))
}

// shareComponents returns the components that carry a reply's Share
// buttons: one secondary button per story, five to a row, when the stories
// fit in Discord's five rows of five; more stories get select menus
// ("Share a story…") of 25 options each, up to five menus (125 stories).
// Stories beyond that get no control. nil when nothing can be shared.
func shareComponents(secs []bot.Section) []discordgo.MessageComponent {
	stories := shareables(secs)
	if len(stories) == 0 {
		return nil
	}
	var rows []discordgo.MessageComponent
	if len(stories) <= maxActionRows*maxRowButtons {
		for start := 0; start < len(stories); start += maxRowButtons {
			var row discordgo.ActionsRow
			for n, st := range stories[start:min(start+maxRowButtons, len(stories))] {
				row.Components = append(row.Components, discordgo.Button{
					Label:    shareLabel(st, start+n, len(stories)),
					Style:    discordgo.SecondaryButton,
					CustomID: bot.ShareCustomID(st.ref),
				})
			}
			rows = append(rows, row)
		}
		return rows
	}
	menus := min((len(stories)+maxSelectOptions-1)/maxSelectOptions, maxActionRows)
	for m := range menus {
		start := m * maxSelectOptions
		part := stories[start:min(start+maxSelectOptions, len(stories))]
		placeholder := "Share a story…"
		if menus > 1 {
			placeholder = fmt.Sprintf("Share a story… (%d–%d)", start+1, start+len(part))
		}
		menu := discordgo.SelectMenu{
			MenuType:    discordgo.StringSelectMenu,
			CustomID:    shareMenuPrefix + strconv.Itoa(m),
			Placeholder: placeholder,
			MaxValues:   1,
		}
		for n, st := range part {
			label := cut(st.title, maxOptionText)
			if label == "" {
				label = fmt.Sprintf("Story %d", start+n+1)
			}
			about := cut(st.about, maxOptionText)
			if about == "" {
				about = bot.ShareButtonLabel // Discord wants a description or none; never ""
			}
			menu.Options = append(menu.Options, discordgo.SelectMenuOption{
				Label: label, Value: st.ref.String(), Description: about,
			})
		}
		rows = append(rows, discordgo.ActionsRow{Components: []discordgo.MessageComponent{menu}})
	}
	return rows
}

// shareLabel is a Share button's label: bot.ShareButtonLabel when the
// reply has one story, else "Share: " and the story's title, cut short,
// so that the buttons can be told apart ("Share: 3" for a story without a
// title).
func shareLabel(st shareable, n, of int) string {
	if of == 1 {
		return bot.ShareButtonLabel
	}
	title := cut(st.title, shareLabelTitle)
	if title == "" {
		title = strconv.Itoa(n + 1)
	}
	return cut("Share: "+title, maxButtonLabel)
}

// componentCommand reads a message component interaction made by a Share
// button or menu into the bot.ShareCommand it stands for; false for a
// component this package did not make.
func componentCommand(i *discordgo.Interaction) (bot.Command, bool) {
	if i.Type != discordgo.InteractionMessageComponent || i.Data == nil {
		return bot.Command{}, false
	}
	data := i.MessageComponentData()
	ref, ok := bot.ParseShareCustomID(data.CustomID)
	if !ok && strings.HasPrefix(data.CustomID, shareMenuPrefix) && len(data.Values) == 1 {
		r, err := bot.ParseStoryRef(data.Values[0])
		ref, ok = r, err == nil
	}
	if !ok {
		return bot.Command{}, false
	}
	return bot.Command{
		Name: bot.ShareCommand, Args: ref.String(), Button: true, Platform: "discord",
		User: userID(i), UserName: userName(i), Channel: i.ChannelID, Admin: memberAdmin(i),
		CannotPost: !memberCanPost(i),
	}, true
}

// memberCanPost reports whether the presser of a component may send
// messages in its channel. In a server, Discord sends the member's
// permissions in that channel, overwrites included: Send Messages must be
// among them (a read-only announcements channel lacks it). The interaction
// as decoded does not say whether the channel is a thread, so a thread
// needs Send Messages too (its parent's, which threads inherit), not only
// Send Messages in Threads: a refusal at worst, never a post the member
// could not make. Outside a server (no member) it is the user's own
// conversation with the bot.
func memberCanPost(i *discordgo.Interaction) bool {
	return i.Member == nil || i.Member.Permissions&discordgo.PermissionSendMessages != 0
}

// unknownComponent answers a component this package did not make (an old
// message's button, a forged custom id): privately, and nothing runs.
var unknownComponent = bot.Reply{Text: "This is an unknown button: nothing was done.", Error: true}

// maxPostNote bounds what a post's note quotes of a follow.
const maxPostNote = 200

// postContent is the message content above a post's embeds: "Shared by
// <@id>" for a story shared with a Share button, "Matches your follow “…”"
// for a direct message answering a follow; "" for every other post, which
// so render exactly as before. The mention names the sharer without
// pinging anyone: every message is sent with allowed_mentions parse [].
// Content is outside the embeds' 6,000 characters and well within its own
// 2,000.
func postContent(p bot.Post) string {
	var lines []string
	switch by := p.SharedBy; {
	case isSnowflake(by.ID):
		lines = append(lines, "Shared by <@"+by.ID+">")
	case strings.TrimSpace(by.Name) != "":
		lines = append(lines, "Shared by "+escapeMarkdown(cut(oneLine(by.Name), maxPostNote)))
	}
	if f := oneLine(p.Follow); f != "" {
		lines = append(lines, "Matches your follow “"+escapeMarkdown(cut(f, maxPostNote))+"”")
	}
	return strings.Join(lines, "\n")
}
