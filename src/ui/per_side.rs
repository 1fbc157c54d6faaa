//! One value for each side of the window (this computer, the server), in
//! place of maps keyed by "is it the remote side".

use crate::engine::Side;

/// A value for the local side and one for the remote side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerSide<T> {
    pub local: T,
    pub remote: T,
}

impl<T> PerSide<T> {
    pub fn get(&self, side: Side) -> &T {
        match side {
            Side::Local => &self.local,
            Side::Remote => &self.remote,
        }
    }

    pub fn get_mut(&mut self, side: Side) -> &mut T {
        match side {
            Side::Local => &mut self.local,
            Side::Remote => &mut self.remote,
        }
    }
}

impl<T> PerSide<Option<T>> {
    /// Neither side has a value.
    pub fn is_empty(&self) -> bool {
        self.local.is_none() && self.remote.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_side_keeps_its_own_value() {
        let mut per: PerSide<Option<u32>> = PerSide::default();
        assert!(per.is_empty());
        *per.get_mut(Side::Remote) = Some(2);
        assert_eq!(*per.get(Side::Remote), Some(2));
        assert_eq!(*per.get(Side::Local), None);
        assert!(!per.is_empty());
    }
}
