//! The whole host at a glance: insights counted by severity and grouped by VM and by
//! category, for the Insights page.

use super::{Insight, InsightCategory};
use crate::services::alerts::Severity;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    pub info: usize,
    pub warning: usize,
    pub critical: usize,
}

impl SeverityCounts {
    pub fn of(&self, s: Severity) -> usize {
        match s {
            Severity::Info => self.info,
            Severity::Warning => self.warning,
            Severity::Critical => self.critical,
        }
    }

    fn add(&mut self, s: Severity) {
        match s {
            Severity::Info => self.info += 1,
            Severity::Warning => self.warning += 1,
            Severity::Critical => self.critical += 1,
        }
    }
}

/// One VM's insights, most severe first.
#[derive(Debug, Clone, PartialEq)]
pub struct VmGroup {
    pub uuid: String,
    pub name: String,
    /// The most severe of its insights.
    pub worst: Severity,
    pub insights: Vec<Insight>,
}

/// One category's insights, most severe first.
#[derive(Debug, Clone, PartialEq)]
pub struct CategoryGroup {
    pub category: InsightCategory,
    pub insights: Vec<Insight>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct InsightSummary {
    pub total: usize,
    pub counts: SeverityCounts,
    /// VMs with at least one insight: most severe first, then most insights, then by name.
    pub by_vm: Vec<VmGroup>,
    /// Categories with at least one insight, in [`InsightCategory::ALL`] order.
    pub by_category: Vec<CategoryGroup>,
}

fn by_severity(list: &mut [Insight]) {
    list.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.category.cmp(&b.category))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
}

pub fn summarise(insights: &[Insight]) -> InsightSummary {
    let mut counts = SeverityCounts::default();
    let mut by_vm: Vec<VmGroup> = Vec::new();
    for i in insights {
        counts.add(i.severity);
        match by_vm.iter_mut().find(|g| g.uuid == i.uuid) {
            Some(g) => {
                g.worst = g.worst.max(i.severity);
                g.insights.push(i.clone());
            }
            None => by_vm.push(VmGroup {
                uuid: i.uuid.clone(),
                name: i.name.clone(),
                worst: i.severity,
                insights: vec![i.clone()],
            }),
        }
    }
    for g in &mut by_vm {
        by_severity(&mut g.insights);
    }
    by_vm.sort_by(|a, b| {
        b.worst
            .cmp(&a.worst)
            .then_with(|| b.insights.len().cmp(&a.insights.len()))
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    let by_category = InsightCategory::ALL
        .into_iter()
        .filter_map(|category| {
            let mut list: Vec<Insight> = insights
                .iter()
                .filter(|i| i.category == category)
                .cloned()
                .collect();
            by_severity(&mut list);
            (!list.is_empty()).then_some(CategoryGroup {
                category,
                insights: list,
            })
        })
        .collect();
    InsightSummary {
        total: insights.len(),
        counts,
        by_vm,
        by_category,
    }
}
