//! Plain data the backend hands to the rest of the app. No libvirt handles, no GTK.

use std::fmt;

use super::boot::BootDevice;

/// A domain's run state as a person thinks of it (libvirt's `virDomainState`, folded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VmState {
    Running,
    Paused,
    /// Shut off and holding a managed-save image: starting it restores.
    Saved,
    ShutOff,
    Crashed,
    PmSuspended,
    /// Shutting down was requested and is in progress.
    ShuttingDown,
    Blocked,
    Unknown,
}

impl VmState {
    /// Every state, in the order the UI lists them (filters, dashboard counts).
    pub const ALL: [VmState; 9] = [
        VmState::Running,
        VmState::Paused,
        VmState::Saved,
        VmState::ShutOff,
        VmState::Crashed,
        VmState::PmSuspended,
        VmState::ShuttingDown,
        VmState::Blocked,
        VmState::Unknown,
    ];

    /// Whether the domain has a QEMU process (it uses host resources).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            VmState::Running
                | VmState::Paused
                | VmState::PmSuspended
                | VmState::ShuttingDown
                | VmState::Blocked
        )
    }

    /// The actions that make sense in this state, in the order the UI shows them.
    pub fn valid_actions(self) -> &'static [VmAction] {
        use VmAction::*;
        match self {
            VmState::ShutOff | VmState::Crashed | VmState::Saved => &[Start],
            VmState::Running | VmState::Blocked => &[Shutdown, Reboot, Pause, Save, ForceOff],
            VmState::Paused => &[Resume, Save, ForceOff],
            VmState::PmSuspended => &[ForceOff],
            VmState::ShuttingDown => &[ForceOff],
            VmState::Unknown => &[],
        }
    }

    /// Stable identifier (used in settings, tests and icon lookups); not shown to users.
    pub fn id(self) -> &'static str {
        match self {
            VmState::Running => "running",
            VmState::Paused => "paused",
            VmState::Saved => "saved",
            VmState::ShutOff => "shutoff",
            VmState::Crashed => "crashed",
            VmState::PmSuspended => "pmsuspended",
            VmState::ShuttingDown => "shutdown",
            VmState::Blocked => "blocked",
            VmState::Unknown => "unknown",
        }
    }
}

/// Lifecycle actions on one domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VmAction {
    /// Start; restores the managed-save image when there is one.
    Start,
    /// ACPI shutdown request: the guest decides.
    Shutdown,
    Reboot,
    Pause,
    Resume,
    /// Pull the plug (virDomainDestroy). The UI confirms first.
    ForceOff,
    /// Managed save: memory to disk, domain stops; next Start restores it.
    Save,
}

impl VmAction {
    pub const ALL: [VmAction; 7] = [
        VmAction::Start,
        VmAction::Shutdown,
        VmAction::Reboot,
        VmAction::Pause,
        VmAction::Resume,
        VmAction::ForceOff,
        VmAction::Save,
    ];

    /// Stable identifier (GAction names, tests).
    pub fn id(self) -> &'static str {
        match self {
            VmAction::Start => "start",
            VmAction::Shutdown => "shutdown",
            VmAction::Reboot => "reboot",
            VmAction::Pause => "pause",
            VmAction::Resume => "resume",
            VmAction::ForceOff => "force-off",
            VmAction::Save => "save",
        }
    }
}

/// One row of the machines list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VmSummary {
    /// Canonical lower-case UUID string: the identity of a domain on a host.
    pub uuid: String,
    pub name: String,
    pub state: VmState,
    pub vcpus: u32,
    /// Current memory in KiB.
    pub memory_kib: u64,
    pub autostart: bool,
    pub persistent: bool,
    /// Tags from the domain's `<metadata>` ([`tags`](super::tags)), in their saved order.
    pub tags: Vec<String>,
}

/// The host a connection talks to (Dashboard).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HostInfo {
    pub uri: String,
    pub hostname: String,
    /// Driver name as libvirt reports it ("QEMU", "TEST").
    pub hypervisor: String,
    /// "major.minor.release" of the hypervisor.
    pub hypervisor_version: String,
    /// "major.minor.release" of the libvirt library/daemon.
    pub libvirt_version: String,
    pub cpu_model: String,
    pub cpus: u32,
    pub cpu_mhz: u32,
    pub sockets: u32,
    pub cores_per_socket: u32,
    pub threads_per_core: u32,
    pub numa_nodes: u32,
    pub memory_total_kib: u64,
    pub memory_free_kib: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiskInfo {
    /// "disk", "cdrom", "floppy", "lun".
    pub device: String,
    /// Target device name in the guest, e.g. "vda".
    pub target: String,
    /// "virtio", "sata", "scsi", "ide", "usb"...
    pub bus: String,
    /// File path, block device, "pool/volume", network name; empty for an empty CD-ROM.
    pub source: String,
    /// Driver format ("qcow2", "raw") when given.
    pub format: String,
    /// Capacity in bytes when known.
    pub capacity_bytes: Option<u64>,
    pub readonly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NicInfo {
    /// "network", "bridge", "user", "direct"...
    pub kind: String,
    /// Network or bridge name, or device for direct.
    pub source: String,
    pub mac: String,
    /// Device model ("virtio", "e1000"...), empty when not set.
    pub model: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GraphicsInfo {
    /// "vnc", "spice", "sdl", "rdp", "egl-headless", "dbus".
    pub kind: String,
    pub listen: String,
    /// Port, when assigned (-1 means autoport not yet assigned).
    pub port: Option<i32>,
    pub autoport: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsoleInfo {
    /// "serial", "console", "channel".
    pub device: String,
    /// "pty", "file", "unix", "spicevmc"...
    pub kind: String,
    /// Target type ("isa-serial", "virtio", "serial") or channel name.
    pub target: String,
    /// Source path when known (pty path, socket, file).
    pub path: String,
}

/// Everything the details page shows about one domain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VmDetails {
    pub uuid: String,
    pub name: String,
    pub title: String,
    pub description: String,
    pub state: Option<VmState>,
    /// libosinfo OS id (e.g. "http://debian.org/debian/12") from the domain metadata.
    pub os_id: Option<String>,
    /// "hvm", "xen", "exe"... and arch/machine.
    pub os_type: String,
    pub arch: String,
    pub machine: String,
    pub vcpus: u32,
    pub max_vcpus: u32,
    pub memory_kib: u64,
    pub max_memory_kib: u64,
    /// "BIOS", "UEFI" or the loader path when it is something else.
    pub firmware: String,
    /// Boot devices in order ("hd", "cdrom", "network", "fd", or "disk vda" for per-device order).
    pub boot_order: Vec<String>,
    /// The same order as devices, ready to edit ([`BootDevice`]); classes such as "hd" are
    /// resolved to the first device of that kind.
    pub boot_devices: Vec<BootDevice>,
    pub disks: Vec<DiskInfo>,
    pub nics: Vec<NicInfo>,
    pub graphics: Vec<GraphicsInfo>,
    pub consoles: Vec<ConsoleInfo>,
    pub autostart: bool,
    pub persistent: bool,
    pub has_managed_save: bool,
    /// Tags from the domain's `<metadata>` ([`tags`](super::tags)).
    pub tags: Vec<String>,
    /// The domain XML as libvirt returns it (inactive XML for a stopped domain).
    pub xml: String,
}

/// Connection state of one host, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkState {
    Connecting,
    Connected,
    /// Lost; the worker retries. `retry_in_secs` counts down the next attempt.
    Disconnected {
        reason: String,
        retry_in_secs: u64,
    },
}

impl fmt::Display for VmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl VmState {
    /// The state's name as the UI shows it ("Running", "Shut Off"). Translated.
    pub fn label(self) -> String {
        use gettextrs::gettext;
        match self {
            VmState::Running => gettext("Running"),
            VmState::Paused => gettext("Paused"),
            VmState::Saved => gettext("Saved"),
            VmState::ShutOff => gettext("Shut Off"),
            VmState::Crashed => gettext("Crashed"),
            VmState::PmSuspended => gettext("Suspended"),
            VmState::ShuttingDown => gettext("Shutting Down"),
            VmState::Blocked => gettext("Blocked"),
            VmState::Unknown => gettext("Unknown"),
        }
    }
}

impl VmAction {
    /// The action's name as its button says it ("Start", "Force Off"). Translated.
    pub fn label(self) -> String {
        use gettextrs::gettext;
        match self {
            VmAction::Start => gettext("Start"),
            VmAction::Shutdown => gettext("Shut Down"),
            VmAction::Reboot => gettext("Reboot"),
            VmAction::Pause => gettext("Pause"),
            VmAction::Resume => gettext("Resume"),
            VmAction::ForceOff => gettext("Force Off"),
            VmAction::Save => gettext("Save"),
        }
    }
}
