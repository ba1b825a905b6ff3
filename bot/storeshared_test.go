package bot

import (
	"strings"
	"testing"
)

// RetryState: a failed post sent once is edited, one never sent is
// published; anything but a failed post is refused, naming its state.
func TestRetryState(t *testing.T) {
	if s, err := RetryState(StateFailed, ""); err != nil || s != StatePending {
		t.Errorf("failed, never sent: %q, %v; want pending", s, err)
	}
	if s, err := RetryState(StateFailed, "C1:123.456"); err != nil || s != StateSent {
		t.Errorf("failed, sent once: %q, %v; want sent (edited)", s, err)
	}
	for _, st := range []DeliveryState{StatePending, StateSent, StateRemoved} {
		if _, err := RetryState(st, ""); err == nil || !strings.Contains(err.Error(), string(st)+", not failed") {
			t.Errorf("%s: %v, want an error saying it is not failed", st, err)
		}
	}
}

// StoryRows and AddStoryRow are one mapping both ways: an issue's stories
// to the stores' rows (lead item 0, roundup item i) and back.
func TestStoryRowsRoundTrip(t *testing.T) {
	is := &Issue{ID: 7, Lead: Story{Section: "Lead", URL: "https://e.example/lead"},
		Roundup: []Story{{Section: "One", URL: "https://e.example/1"}, {Section: "Two"}}}
	rows, err := StoryRows(is)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		part Part
		item int
		url  string
	}{{PartLead, 0, "https://e.example/lead"}, {PartRoundup, 0, "https://e.example/1"}, {PartRoundup, 1, ""}}
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d", len(rows), len(want))
	}
	back := &Issue{ID: is.ID}
	for i, r := range rows {
		if r.Part != want[i].part || r.Item != want[i].item || r.URL != want[i].url || r.Text != is.Stories()[i].Text() {
			t.Errorf("row %d = %+v, want %+v", i, r, want[i])
		}
		if err := AddStoryRow(back, r.Part, r.Rich); err != nil {
			t.Fatal(err)
		}
	}
	if back.Lead.Section != "Lead" || len(back.Roundup) != 2 || back.Roundup[0].Section != "One" || back.Roundup[1].Section != "Two" {
		t.Errorf("read back %+v", back)
	}
	if err := AddStoryRow(back, PartLead, []byte("{")); err == nil || !strings.Contains(err.Error(), "issue 7") {
		t.Errorf("AddStoryRow of broken JSON = %v, want an error naming the issue", err)
	}
}
