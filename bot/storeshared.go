package bot

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
