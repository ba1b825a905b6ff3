package discord

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"digestbot/bot"
)

// CommandName is the application command this package registers and answers.
const CommandName = "digest"

// maxArgs bounds the option text handed to the handler.
const maxArgs = 500

// Suggester proposes completions for "/digest search" as the user types.
type Suggester interface {
	Suggest(ctx context.Context, prefix string, limit int) ([]string, error)
}

// Commands returns the /digest command with its subcommands, as registered
// by RegisterCommands.
func Commands() []*discordgo.ApplicationCommand {
	str := discordgo.ApplicationCommandOptionString
	sub := discordgo.ApplicationCommandOptionSubCommand
	return []*discordgo.ApplicationCommand{{
		Type:        discordgo.ChatApplicationCommand,
		Name:        CommandName,
		Description: "Read and search the newsletter digest",
		Options: []*discordgo.ApplicationCommandOption{
			{Type: sub, Name: "latest", Description: "Show the latest issue"},
			{Type: sub, Name: "search", Description: "Search the archive", Options: []*discordgo.ApplicationCommandOption{{
				Type: str, Name: "query", Description: `Words to find; "a phrase" in quotes, -word to exclude`,
				Required: true, Autocomplete: true, MaxLength: 200,
			}}},
			{Type: sub, Name: "issue", Description: "Show one issue", Options: []*discordgo.ApplicationCommandOption{{
				Type: str, Name: "which", Description: "Issue number or date, e.g. 42 or 2024-05-01",
				Required: true, MaxLength: 40,
			}}},
			{Type: sub, Name: "feeds", Description: "List this channel's feeds"},
			{Type: sub, Name: "subscribe", Description: "Admins: this channel receives a feed from now on", Options: []*discordgo.ApplicationCommandOption{
				{Type: str, Name: "url", Description: "The feed's or the site's URL", Required: true, MaxLength: 400},
				{Type: str, Name: "layout", Description: "How the roundup is posted", Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "thread", Value: "thread"}, {Name: "separate", Value: "separate"}, {Name: "combined", Value: "combined"},
				}},
			}},
			{Type: sub, Name: "unsubscribe", Description: "Admins: this channel stops receiving a feed", Options: []*discordgo.ApplicationCommandOption{
				{Type: str, Name: "url", Description: "The feed's URL, as /digest feeds shows it", Required: true, MaxLength: 400},
			}},
			{Type: sub, Name: "help", Description: "How to use /digest"},
		},
	}}
}

// RegisterCommands installs Commands for the application, replacing any
// earlier definition (bulk overwrite): in one server when guildID is set
// (immediate, for testing), else globally.
func (c *Client) RegisterCommands(ctx context.Context, appID, guildID string) error {
	if !isSnowflake(appID) {
		return errors.New("discord: register commands: the application id must be a number: set DIGESTBOT_DISCORD_APP_ID (Developer Portal, General Information)")
	}
	path, where := "applications/"+appID+"/commands", "globally"
	if guildID != "" {
		if !isSnowflake(guildID) {
			return errors.New("discord: register commands: the server id must be a number: check DIGESTBOT_DISCORD_GUILD_ID")
		}
		path, where = "applications/"+appID+"/guilds/"+guildID+"/commands", "in server "+guildID
	}
	return c.rest.do(ctx, call{method: http.MethodPut, path: path, body: Commands(), auth: true,
		what: "register commands " + where}, nil)
}

// commandFrom turns an application command interaction into a
// bot.Command: the subcommand is the name, its option the arguments.
func commandFrom(i *discordgo.Interaction) bot.Command {
	cmd := bot.Command{Platform: "discord", Channel: i.ChannelID, User: userID(i), UserName: userName(i), Admin: memberAdmin(i)}
	if i.Type != discordgo.InteractionApplicationCommand && i.Type != discordgo.InteractionApplicationCommandAutocomplete {
		return cmd
	}
	data := i.ApplicationCommandData()
	if data.Name != CommandName {
		return cmd
	}
	for _, o := range data.Options {
		if o == nil || o.Type != discordgo.ApplicationCommandOptionSubCommand {
			continue
		}
		cmd.Name = strings.ToLower(o.Name)
		var args []string
		for _, a := range o.Options {
			if a != nil && a.Value != nil {
				args = append(args, strings.TrimSpace(fmt.Sprint(a.Value)))
			}
		}
		cmd.Args = cut(strings.TrimSpace(strings.Join(args, " ")), maxArgs)
		break
	}
	return cmd
}

// focused returns the value of the option being typed in an autocomplete
// interaction.
func focused(i *discordgo.Interaction) string {
	if i.Type != discordgo.InteractionApplicationCommandAutocomplete {
		return ""
	}
	var walk func([]*discordgo.ApplicationCommandInteractionDataOption) string
	walk = func(os []*discordgo.ApplicationCommandInteractionDataOption) string {
		for _, o := range os {
			if o == nil {
				continue
			}
			if o.Focused {
				s, _ := o.Value.(string)
				return s
			}
			if s := walk(o.Options); s != "" {
				return s
			}
		}
		return ""
	}
	return walk(i.ApplicationCommandData().Options)
}

// adminPermissions are those that make a member a feed admin: Manage
// Server, Manage Channels, and Administrator (which implies both).
const adminPermissions = discordgo.PermissionManageGuild | discordgo.PermissionManageChannels | discordgo.PermissionAdministrator

// memberAdmin reports whether the interaction's member.permissions (the
// member's permissions in the channel, computed by Discord) include Manage
// Server or Manage Channels. Outside a server there is no member: false.
func memberAdmin(i *discordgo.Interaction) bool {
	return i.Member != nil && i.Member.Permissions&adminPermissions != 0
}

// userName returns the caller's display name: server nickname, global
// name, or user name.
func userName(i *discordgo.Interaction) string {
	u := i.User
	if i.Member != nil {
		if i.Member.Nick != "" {
			return i.Member.Nick
		}
		u = i.Member.User
	}
	switch {
	case u == nil:
		return ""
	case u.GlobalName != "":
		return u.GlobalName
	}
	return u.Username
}

func userID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}
