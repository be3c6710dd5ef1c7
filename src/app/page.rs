//! The sidebar's pages: their order, stack names, labels and icons.

use gettextrs::gettext;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Dashboard,
    Machines,
    Storage,
    Networks,
    Templates,
    Alerts,
    Insights,
}

impl Page {
    /// In sidebar order.
    pub const ALL: [Page; 7] = [
        Page::Dashboard,
        Page::Machines,
        Page::Storage,
        Page::Networks,
        Page::Templates,
        Page::Alerts,
        Page::Insights,
    ];

    /// The content stack's name for the page.
    pub fn id(self) -> &'static str {
        match self {
            Page::Dashboard => "dashboard",
            Page::Machines => "machines",
            Page::Storage => "storage",
            Page::Networks => "networks",
            Page::Templates => "templates",
            Page::Alerts => "alerts",
            Page::Insights => "insights",
        }
    }

    /// The sidebar's label.
    pub fn title(self) -> String {
        match self {
            Page::Dashboard => gettext("Dashboard"),
            Page::Machines => gettext("Machines"),
            Page::Storage => gettext("Storage"),
            Page::Networks => gettext("Networks"),
            Page::Templates => gettext("Templates"),
            Page::Alerts => gettext("Alerts"),
            Page::Insights => gettext("Insights"),
        }
    }

    /// The sidebar's icon.
    pub fn icon(self) -> &'static str {
        match self {
            Page::Dashboard => "network-server-symbolic",
            Page::Machines => "computer-symbolic",
            Page::Storage => "drive-harddisk-symbolic",
            Page::Networks => "network-workgroup-symbolic",
            Page::Templates => "folder-templates-symbolic",
            Page::Alerts => "alarm-symbolic",
            Page::Insights => "x-office-presentation-symbolic",
        }
    }
}
