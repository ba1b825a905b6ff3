package bot

import "fmt"

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
