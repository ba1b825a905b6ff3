package discord

import (
	"encoding/json"
	"net/http"
	"slices"
)

// The fake's routes, under /api/v10/.

type createBody struct {
	Embeds          []json.RawMessage `json:"embeds"`
	Nonce           string            `json:"nonce"`
	EnforceNonce    bool              `json:"enforce_nonce"`
	ThreadName      string            `json:"thread_name"`
	AllowedMentions json.RawMessage   `json:"allowed_mentions"`
}

func (f *fakeDiscord) routes() {
	m := f.mux
	const p = "/api/v10/"
	m.HandleFunc("GET "+p+"channels/{id}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.channels[r.PathValue("id")]
		if c == nil {
			apiErr(w, 404, codeUnknownChannel, "Unknown Channel")
			return
		}
		writeJSON(w, 200, map[string]any{"id": c.ID, "type": c.Type, "guild_id": c.GuildID, "parent_id": c.ParentID})
	})
	m.HandleFunc("GET "+p+"channels/{id}/messages", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.channels[r.PathValue("id")]
		if c == nil {
			apiErr(w, 404, codeUnknownChannel, "Unknown Channel")
			return
		}
		// Newest first, at most 50, and without nonces: Discord only
		// returns a nonce in the create answer.
		var out []fakeMessage
		for i := len(c.Messages) - 1; i >= 0 && len(out) < 50; i-- {
			msg := *c.Messages[i]
			msg.Nonce = ""
			out = append(out, msg)
		}
		writeJSON(w, 200, out)
	})
	m.HandleFunc("GET "+p+"channels/{id}/messages/{mid}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if msg := f.findMessage(r.PathValue("id"), r.PathValue("mid")); msg != nil {
			out := *msg
			out.Nonce = ""
			writeJSON(w, 200, out)
			return
		}
		apiErr(w, 404, codeUnknownMessage, "Unknown Message")
	})
	m.HandleFunc("POST "+p+"channels/{id}/messages", func(w http.ResponseWriter, r *http.Request) {
		var b createBody
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil {
			apiErr(w, 400, codeInvalidFormBody, "Invalid Form Body")
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.channels[r.PathValue("id")]
		if c == nil {
			apiErr(w, 404, codeUnknownChannel, "Unknown Channel")
			return
		}
		if c.Type == 15 {
			apiErr(w, 400, 50008, "Cannot send messages in a non-text channel")
			return
		}
		if b.EnforceNonce && b.Nonce != "" {
			if old := f.nonces[c.ID+"|"+b.Nonce]; old != nil {
				writeJSON(w, 200, old)
				return
			}
		}
		msg := f.store(c, b, "")
		writeJSON(w, 200, msg)
	})
	m.HandleFunc("PATCH "+p+"channels/{id}/messages/{mid}", func(w http.ResponseWriter, r *http.Request) {
		var b createBody
		json.NewDecoder(r.Body).Decode(&b)
		f.mu.Lock()
		defer f.mu.Unlock()
		msg := f.findMessage(r.PathValue("id"), r.PathValue("mid"))
		if msg == nil {
			apiErr(w, 404, codeUnknownMessage, "Unknown Message")
			return
		}
		msg.Embeds = b.Embeds
		writeJSON(w, 200, msg)
	})
	m.HandleFunc("DELETE "+p+"channels/{id}/messages/{mid}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.channels[r.PathValue("id")]
		msg := f.findMessage(r.PathValue("id"), r.PathValue("mid"))
		if msg == nil {
			apiErr(w, 404, codeUnknownMessage, "Unknown Message")
			return
		}
		c.Messages = slices.DeleteFunc(c.Messages, func(m *fakeMessage) bool { return m == msg })
		w.WriteHeader(204)
	})
	m.HandleFunc("POST "+p+"channels/{id}/messages/{mid}/threads", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		parent, mid := r.PathValue("id"), r.PathValue("mid")
		if f.findMessage(parent, mid) == nil {
			apiErr(w, 404, codeUnknownMessage, "Unknown Message")
			return
		}
		if f.channels[mid] != nil {
			apiErr(w, 400, codeThreadExists, "A thread has already been created for this message")
			return
		}
		f.channels[mid] = &fakeChannel{ID: mid, GuildID: testGuild, ParentID: parent, Type: 11}
		writeJSON(w, 201, map[string]any{"id": mid, "type": 11, "parent_id": parent})
	})
	m.HandleFunc("POST "+p+"channels/{id}/threads", func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Name    string     `json:"name"`
			Message createBody `json:"message"`
		}
		json.NewDecoder(r.Body).Decode(&b)
		f.mu.Lock()
		defer f.mu.Unlock()
		forum := f.channels[r.PathValue("id")]
		if forum == nil || forum.Type != 15 || b.Name == "" {
			apiErr(w, 400, codeInvalidFormBody, "Invalid Form Body")
			return
		}
		th := f.newThread(forum)
		msg := f.storeWithID(th, b.Message, "", th.ID)
		writeJSON(w, 201, map[string]any{"id": th.ID, "type": 11, "parent_id": forum.ID, "name": b.Name, "message": msg})
	})
	m.HandleFunc("GET "+p+"guilds/{g}/threads/active", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		var threads []map[string]any
		for _, c := range f.channels {
			if c.Type == 11 && c.GuildID == r.PathValue("g") {
				threads = append(threads, map[string]any{"id": c.ID, "parent_id": c.ParentID, "type": 11})
			}
		}
		writeJSON(w, 200, map[string]any{"threads": threads, "members": []any{}})
	})
	m.HandleFunc("GET "+p+"webhooks/{id}/{token}", func(w http.ResponseWriter, r *http.Request) {
		if !f.hookOK(w, r) {
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"id": testWebhookID, "type": 1, "channel_id": f.hookChan, "guild_id": testGuild})
	})
	m.HandleFunc("POST "+p+"webhooks/{id}/{token}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == testAppID {
			f.interactionFollowUp(w, r)
			return
		}
		if !f.hookOK(w, r) {
			return
		}
		var b createBody
		json.NewDecoder(r.Body).Decode(&b)
		f.mu.Lock()
		defer f.mu.Unlock()
		c := f.channels[f.hookChan]
		threadID := r.URL.Query().Get("thread_id")
		switch {
		case threadID != "":
			th := f.channels[threadID]
			if th == nil || th.ParentID != c.ID {
				apiErr(w, 400, codeUnknownChannel, "Unknown Channel")
				return
			}
			c = th
		case c.Type == 15 && b.ThreadName == "":
			apiErr(w, 400, codeWebhookNeedsThread, "Webhooks posted to forum channels must have a thread_name or thread_id")
			return
		case c.Type == 15:
			th := f.newThread(c)
			msg := f.storeWithID(th, b, testWebhookID, th.ID)
			writeJSON(w, 200, msg)
			return
		case b.ThreadName != "":
			apiErr(w, 400, codeWebhookForumThreads, "Webhooks can only create threads in forum channels")
			return
		}
		if r.URL.Query().Get("wait") != "true" {
			w.WriteHeader(204)
			return
		}
		writeJSON(w, 200, f.store(c, b, testWebhookID))
	})
	m.HandleFunc("PATCH "+p+"webhooks/{id}/{token}/messages/{mid}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("id") == testAppID {
			f.interactionFollowUp(w, r)
			return
		}
		if !f.hookOK(w, r) {
			return
		}
		var b createBody
		json.NewDecoder(r.Body).Decode(&b)
		f.mu.Lock()
		defer f.mu.Unlock()
		ch := f.hookChan
		if t := r.URL.Query().Get("thread_id"); t != "" {
			ch = t
		}
		msg := f.findMessage(ch, r.PathValue("mid"))
		if msg == nil {
			apiErr(w, 404, codeUnknownMessage, "Unknown Message")
			return
		}
		msg.Embeds = b.Embeds
		writeJSON(w, 200, msg)
	})
	put := func(w http.ResponseWriter, r *http.Request) {
		var cmds json.RawMessage
		json.NewDecoder(r.Body).Decode(&cmds)
		f.mu.Lock()
		f.commands[r.URL.Path] = cmds
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write(cmds)
	}
	m.HandleFunc("PUT "+p+"applications/{app}/commands", put)
	m.HandleFunc("PUT "+p+"applications/{app}/guilds/{g}/commands", put)
	m.HandleFunc("POST "+p+"interactions/{id}/{token}/callback", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(204)
	})
}

// interactionFollowUp answers the interaction webhook calls (edit
// original, follow-up): recorded, nothing to check.
func (f *fakeDiscord) interactionFollowUp(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, 200, map[string]any{"id": "777", "channel_id": textChannel})
}

func (f *fakeDiscord) hookOK(w http.ResponseWriter, r *http.Request) bool {
	if r.PathValue("id") != testWebhookID {
		apiErr(w, 404, codeUnknownWebhook, "Unknown Webhook")
		return false
	}
	if r.PathValue("token") != testWebhookToken {
		apiErr(w, 401, 50027, "Invalid Webhook Token")
		return false
	}
	return true
}

// store adds a message to c; the caller holds f.mu.
func (f *fakeDiscord) store(c *fakeChannel, b createBody, webhookID string) *fakeMessage {
	return f.storeWithID(c, b, webhookID, f.id())
}

func (f *fakeDiscord) storeWithID(c *fakeChannel, b createBody, webhookID, id string) *fakeMessage {
	msg := &fakeMessage{ID: id, ChannelID: c.ID, Nonce: b.Nonce, Embeds: b.Embeds, WebhookID: webhookID,
		Author: map[string]any{"id": "42", "bot": true}}
	c.Messages = append(c.Messages, msg)
	if b.EnforceNonce && b.Nonce != "" {
		f.nonces[c.ID+"|"+b.Nonce] = msg
	}
	return msg
}

func (f *fakeDiscord) newThread(parent *fakeChannel) *fakeChannel {
	th := &fakeChannel{ID: f.id(), GuildID: parent.GuildID, ParentID: parent.ID, Type: 11}
	f.channels[th.ID] = th
	return th
}

func (f *fakeDiscord) findMessage(channel, id string) *fakeMessage {
	c := f.channels[channel]
	if c == nil {
		return nil
	}
	i := slices.IndexFunc(c.Messages, func(m *fakeMessage) bool { return m.ID == id })
	if i < 0 {
		return nil
	}
	return c.Messages[i]
}
