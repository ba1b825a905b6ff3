package discord

import (
	"net/url"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// InvitePermissions are the permissions the bot needs: see the channel,
// send messages (in a forum: create posts), send in threads, start public
// threads, embed links and read message history (to find a retried send).
const InvitePermissions int64 = discordgo.PermissionViewChannel |
	discordgo.PermissionSendMessages |
	discordgo.PermissionSendMessagesInThreads |
	discordgo.PermissionCreatePublicThreads |
	discordgo.PermissionEmbedLinks |
	discordgo.PermissionReadMessageHistory

// InviteURL is the link that adds the bot, with its slash commands and
// InvitePermissions, to a server.
func InviteURL(appID string) string {
	q := url.Values{
		"client_id":   {appID},
		"scope":       {"bot applications.commands"},
		"permissions": {strconv.FormatInt(InvitePermissions, 10)},
	}
	return "https://discord.com/oauth2/authorize?" + q.Encode()
}
