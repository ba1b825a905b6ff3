package feeds

import "testing"

func TestPageURL(t *testing.T) {
	for _, tt := range []struct {
		feed string
		n    int
		want string
	}{
		{"https://digest.example.org/rss/", 1, "https://digest.example.org/rss/"},
		{"https://digest.example.org/rss/", 2, "https://digest.example.org/rss/2/"},
		{"https://digest.example.org/rss", 3, "https://digest.example.org/rss/3/"},
		{"https://blog.example.com/feed/", 2, "https://blog.example.com/feed/?paged=2"},
		{"https://blog.example.com/feed/?lang=en", 2, "https://blog.example.com/feed/?lang=en&paged=2"},
		{"https://news.example.com/atom.xml", 2, ""},
		{"testdata/ghost.xml", 2, ""},
	} {
		if got := PageURL(tt.feed, tt.n); got != tt.want {
			t.Errorf("PageURL(%s, %d) = %q, want %q", tt.feed, tt.n, got, tt.want)
		}
	}
}
