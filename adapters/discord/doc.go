// Package discord publishes digest posts to Discord and answers the /digest
// application command there.
//
// # Publishing
//
// A Client publishes with a bot token to the channel id in
// bot.Channel.Target, or through a webhook (Options.WebhookURL) when Target
// is empty. Every post is one message of embeds: the lead (title linking to
// the issue, standfirst and lead paragraphs, feature image, date, the
// newsletter's name), one roundup item, or the whole roundup. By the
// channel's layout the roundup goes into a thread started on the lead
// ("thread", the default), into the channel one message per item
// ("separate") or into one message ("combined"). Forum channels (detected
// from the channel's type, or from the webhook's answer) make each issue a
// post holding the lead and then its roundup.
//
// Publish returns a reference "channelID/messageID", with "/t" appended when
// the channel is a thread (a forum post, or the lead's thread). Edit takes
// it back; a roundup's Message.ParentRef (the lead's reference) says which
// thread to use.
//
// # Exactly once
//
// Every bot send carries the delivery key as nonce with enforce_nonce, so
// Discord answers a repeat within its nonce window with the first message.
// Every post also carries the key in its first embed (URL fragment, else
// footer); when Message.Retry is set, Publish looks for it among the
// destination's recent messages (or the forum's newest posts) and returns
// the message found instead of posting again. See marker.go.
//
// # Safety
//
// allowed_mentions is always {"parse": []}; text from feeds and users is
// escaped so that it neither formats, links nor mentions ("@" is followed by
// a zero-width space); only http(s) URLs are linked; every field is cut to
// Discord's limits. Errors and logs never contain the bot token or the
// webhook token.
//
// # Commands
//
// RegisterCommands installs /digest (latest, search, issue, feeds, help).
// Interactions arrive either over HTTP (NewInteractionHandler, verified
// with the application's Ed25519 public key) or over the gateway
// (Client.RunGateway); both turn them into a bot.Command and hand it to the
// bot's reply path (bot.Replies), carrying its answers (rendered with
// RenderReply) as a bot.ReplyTransport: a handler slower than the inline
// wait gets a deferred response, completed later by editing it.
package discord
