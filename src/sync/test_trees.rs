//! Small trees and plans for the sync module's unit tests.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};

use super::compare::{CompareOptions, FileInfo, Rule, TimePrecision};
use super::plan::{Action, Plan, Reason, SyncDirection, SyncOptions};
use super::tree::{Node, Tree};

pub(crate) fn t(minute: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 1, 2)
        .and_then(|d| d.and_hms_opt(10, minute, 0))
        .expect("valid test time")
}

pub(crate) fn f(size: u64, minute: u32) -> Node {
    Node::File(FileInfo {
        size: Some(size),
        modified: Some(t(minute)),
        precision: TimePrecision::Second,
    })
}

pub(crate) fn tree(nodes: &[(&str, Node)]) -> Tree {
    Tree {
        nodes: nodes
            .iter()
            .map(|(p, n)| (p.as_bytes().to_vec(), *n))
            .collect(),
        ..Tree::default()
    }
}

pub(crate) fn opts(direction: SyncDirection, delete: bool) -> SyncOptions {
    SyncOptions {
        direction,
        compare: CompareOptions {
            rule: Rule::Both,
            tolerance: TimeDelta::zero(),
        },
        delete,
    }
}

pub(crate) fn actions(plan: &Plan) -> Vec<(String, Action, Reason)> {
    plan.rows
        .iter()
        .map(|r| (r.display(), r.action, r.reason))
        .collect()
}
