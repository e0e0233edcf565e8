package controllers

import "sync"

// targetKey names one container of one ECI instance: the unit that
// submissions are serialized on.
type targetKey struct {
	region, group, container string
}

// targetLocks lets one worker at a time submit to a container. It is held
// only for the length of one reconcile; across reconciles and restarts the
// open intent in the objects' status plays the same role.
type targetLocks struct {
	mu   sync.Mutex
	busy map[targetKey]bool
}

func newTargetLocks() *targetLocks {
	return &targetLocks{busy: map[targetKey]bool{}}
}

func (l *targetLocks) tryLock(k targetKey) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy[k] {
		return false
	}
	l.busy[k] = true
	return true
}

func (l *targetLocks) unlock(k targetKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.busy, k)
}
