//! A small number of slots per key, taken without waiting: "at most 2 exports per user at
//! once". A [`Slot`] gives its place back when dropped, wherever that happens (a finished
//! stream, a client that hung up, a failed first page), so nothing can leak a slot.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

/// At most `per_key` slots held at once for each key.
#[derive(Clone)]
pub struct KeyedSlots {
    per_key: usize,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

/// One taken slot.
pub struct Slot {
    key: String,
    held: Arc<Mutex<HashMap<String, usize>>>,
}

impl KeyedSlots {
    pub fn new(per_key: usize) -> Self {
        Self {
            per_key,
            held: Arc::default(),
        }
    }

    /// The most a key may hold.
    pub fn per_key(&self) -> usize {
        self.per_key
    }

    /// A slot for `key`, or `None` when it already holds `per_key` of them.
    pub fn try_take(&self, key: &str) -> Option<Slot> {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        let n = held.entry(key.to_owned()).or_insert(0);
        if *n >= self.per_key {
            return None;
        }
        *n += 1;
        Some(Slot {
            key: key.to_owned(),
            held: self.held.clone(),
        })
    }

    /// Keys holding at least one slot.
    pub fn busy_keys(&self) -> usize {
        self.held.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = held.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                held.remove(&self.key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_holds_at_most_its_slots_and_gets_them_back() {
        let slots = KeyedSlots::new(2);
        let a = slots.try_take("ada").unwrap();
        let b = slots.try_take("ada").unwrap();
        assert!(slots.try_take("ada").is_none());
        assert!(
            slots.try_take("ben").is_some(),
            "another key is not affected"
        );
        drop(a);
        let c = slots.try_take("ada").expect("a slot came back");
        drop((b, c));
        assert_eq!(slots.busy_keys(), 0, "idle keys are forgotten");
    }
}
