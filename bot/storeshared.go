package bot

import (
	"encoding/json"
	"fmt"
)

// Helpers the SQL stores share, so that a rule lives in one place; the
// SQL itself stays in each store.

// Rows is what *sql.Rows and pgx.Rows have in common, for the shared
// scanning helpers. The caller closes the rows.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// DeliveryCountsSQL counts deliveries by state, in both stores' SQL.
const DeliveryCountsSQL = `SELECT state, COUNT(*) FROM deliveries GROUP BY state`

// ScanDeliveryCounts reads the rows of DeliveryCountsSQL: the number of
// deliveries by state; states with none are absent.
func ScanDeliveryCounts(rows Rows) (map[DeliveryState]int, error) {
	out := map[DeliveryState]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		out[DeliveryState(st)] = n
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// RetryState is the state RetryDelivery gives a delivery in state, whose
// message reference is ref: a failed post that was sent once (it has a
// reference) is edited, so it becomes StateSent with its hash cleared;
// one never sent becomes StatePending and is published. A delivery that
// is not failed is an error naming its state.
func RetryState(state DeliveryState, ref string) (DeliveryState, error) {
	switch {
	case state != StateFailed:
		return "", fmt.Errorf("it is %s, not failed", state)
	case ref != "":
		return StateSent, nil
	}
	return StatePending, nil
}

// StoryRow is one row of the SQL stores' stories table: one story of an
// issue, keyed by its part and item, with its plain text (what search
// indexes), its whole Story as JSON (rich) and its URL.
type StoryRow struct {
	Part Part
	Item int // the roundup item's index; 0 for the lead
	Text string
	Rich []byte
	URL  string
}

// StoryRows returns the rows of is's stories: the lead (PartLead, item 0),
// then roundup item i (PartRoundup, item i).
func StoryRows(is *Issue) ([]StoryRow, error) {
	out := make([]StoryRow, 0, 1+len(is.Roundup))
	for i, st := range is.Stories() {
		rich, err := json.Marshal(st)
		if err != nil {
			return nil, err
		}
		r := StoryRow{Part: PartLead, Text: st.Text(), Rich: rich, URL: st.URL}
		if i > 0 {
			r.Part, r.Item = PartRoundup, i-1
		}
		out = append(out, r)
	}
	return out, nil
}

// AddStoryRow puts a stored story (its part and rich JSON) back into is:
// as the lead, or as the next roundup item, for rows read lead first,
// then by item.
func AddStoryRow(is *Issue, part Part, rich []byte) error {
	var st Story
	if err := json.Unmarshal(rich, &st); err != nil {
		return fmt.Errorf("decode story of issue %d: %w", is.ID, err)
	}
	if part == PartLead {
		is.Lead = st
	} else {
		is.Roundup = append(is.Roundup, st)
	}
	return nil
}
