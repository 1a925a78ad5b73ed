package gateway

import (
	"log/slog"
	"runtime/debug"
	"time"

	"custgraph/internal/config"
	"custgraph/internal/customer"
	"custgraph/internal/directory"
	"custgraph/internal/guard"
	"custgraph/internal/quota"
	"custgraph/internal/redisstore"
)

// newDirectory builds the directory cfg asks for over the guarded vendor
// clients: shared on Redis when replicas share it, else in a file under
// the data directory (in memory in demo mode unless a data directory is
// given). Nil when the directory is off.
func newDirectory(cfg *config.Config, store *redisstore.Store, v vendors, onChange func([]*customer.Change), log *slog.Logger) (*directory.Directory, error) {
	c := cfg.Directory
	if !c.On {
		return nil, nil
	}
	o := directory.Options{
		Vendors:      map[customer.Source]directory.Vendor{},
		Interval:     c.Interval,
		FullInterval: c.FullInterval,
		MaxAge:       c.MaxAge,
		Pace:         map[customer.Source]time.Duration{customer.YCM: c.YCMPace},
		LeaseTTL:     c.LeaseTTL,
		// The sync takes only the quota turns live calls leave, and
		// confirms a deletion with the vendor itself, past the caches.
		Background: quota.Background,
		Fresh:      guard.Fresh,
		Log:        log.With("component", "directory"),
		// Loading a large copy (decoding, then compacting, every record)
		// leaves about twice the copy in garbage, which the heap would
		// otherwise keep from the system until long after.
		Loaded:   debug.FreeOSMemory,
		OnChange: onChange,
	}
	if v.u8 != nil {
		o.Vendors[customer.U8] = v.u8
	}
	if v.ycm != nil {
		o.Vendors[customer.YCM] = v.ycm
	}
	if v.crm != nil {
		o.Vendors[customer.CRM] = v.crm
	}
	switch dir := c.DataDir; {
	case store != nil:
		o.Store = redisstore.NewDirectory(store)
	case dir == "" && cfg.DemoMode():
		o.Store = directory.Memory()
	default:
		if dir == "" {
			dir = "data"
		}
		f, reset, err := directory.OpenFile(dir)
		if err != nil {
			return nil, err
		}
		if reset != "" {
			log.Warn("directory: the stored copy was unreadable and is read again from the vendors", "why", reset)
		}
		o.Store = f
	}
	return directory.New(o), nil
}
