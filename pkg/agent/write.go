package agent

import (
	"fmt"

	"github.com/diskpool/diskpool-operator/pkg/disk/label"
)

// writeLabels writes p's label to every member of p, which must be a private
// copy (clone) not yet committed. Each member's generation and recorded size
// are updated. On error some members may carry the new label and others the
// old: the next write, or import, settles on the newest.
func (a *Agent) writeLabels(p *pool) error {
	for i, m := range p.members {
		if m.disk.ID.Kind == 0 {
			return fmt.Errorf("disk %s of pool %s is missing", m.disk.Disk, p.label.Name)
		}
		dev, err := a.cfg.Opener.Open(m.disk, true)
		if err != nil {
			return err
		}
		l := p.label.Clone()
		l.DiskIndex, l.Generation, l.DiskSize = i, m.gen, m.recorded
		err = label.Write(dev, l)
		size := dev.Size()
		if cerr := dev.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("close disk %s: %w", m.disk.Disk, cerr)
		}
		if err != nil {
			return fmt.Errorf("write label of pool %s to disk %s: %w", p.label.Name, m.disk.Disk, err)
		}
		m.gen, m.recorded, m.size = l.Generation, l.DiskSize, size
	}
	return nil
}
