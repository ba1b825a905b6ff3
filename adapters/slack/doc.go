// Package slack publishes digest posts to Slack and answers the /digest
// slash command, over HTTP or Socket Mode. It uses github.com/slack-go/slack.
//
// # Publishing
//
// [Client] implements bot.Publisher: the lead of an issue becomes a Block
// Kit message (header, standfirst, an excerpt of the lead, the feature
// image, a "Read the full issue" button and a context line); roundup items
// become replies in the lead's thread, separate messages, or one combined
// message, following the channel's layout. Every message carries Slack
// message metadata (event type "digest_post") naming its delivery key, so
// a retried delivery whose first attempt did reach Slack is found again in
// the channel's history instead of being posted twice.
//
// # Escaping
//
// Feed text is never trusted. Slack's mrkdwn has three control characters
// (&, <, >), which are written as HTML entities, so text can never open a
// link, a mention (<@U123>) or a broadcast (<!channel>, <!here>). Every
// mrkdwn text object is sent with verbatim=true, so Slack does not turn
// bare URLs, #channel names or @mentions into links either; the words
// @here, @channel and @everyone also get an invisible word joiner after
// the "@".
//
// Slack has no escape for its formatting characters (a backslash stays
// visible, and a zero-width space makes formatting MORE likely, since Slack
// treats it as a word boundary). Feed text therefore has *, _, ~ and ` (and
// their full-width forms) replaced by look-alike characters (∗ ˍ ∼ ˋ): the
// reader sees nearly the same glyph and no formatting can start or end
// inside feed text. A line that would begin with ">" (a block quote) gets
// an invisible soft hyphen in front. The archive keeps the original text;
// only what is shown in Slack changes. Bold and italic spans of the feed
// are rendered as *x* and _x_ only where Slack will parse them as intended
// (word boundaries on both sides, no punctuation just inside the markers);
// elsewhere they are shown plain.
//
// Links are written <url|text> and only for absolute http(s) URLs that
// net/url accepts and that carry no user information; in the URL, |, <, >
// and spaces are percent-encoded and & becomes &amp;. In the link text, |
// is replaced by ∣ so the text cannot end the link early.
//
// # Limits
//
// Slack's block limits are enforced before sending: 3,000 characters per
// section text, 50 blocks per message, 150 for a header, 75 for a button
// label, 2,000 for image alt text; the notification text is kept short.
// Lengths are counted after escaping, in UTF-16 code units, which is never
// less than what Slack counts. Long text is split across sections at word
// boundaries or cut with "…".
//
// # Slash commands
//
// [NewCommandHandler] serves POST /slack/commands: it verifies Slack's
// request signature, turns the text into a bot.Command and hands it to the
// bot's reply path (bot.Replies), which answers inline when the handler is
// quick, else acknowledges at once and posts the answer to the command's
// response_url; this package only carries the answers. [Client.RunSocketMode] does the same over a
// Socket Mode connection, with no public URL needed.
//
// # Share buttons
//
// Replies shown privately carry a "Share in channel" button per story
// (action_id bot.ShareActionID, value the bot.StoryRef). A press reaches
// [CommandHandler.Interactions] (POST /slack/interactions, the same
// signature check and replay memory as the commands) or a Socket Mode
// interactive event, becomes a bot.ShareCommand with Button set, and goes
// through the same reply path; the presser is answered privately through
// the press's response_url, the original message left as it is. A shared
// post says who shared it (Post.SharedBy, as a mention).
package slack
