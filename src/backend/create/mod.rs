//! Creating a virtual machine: the wizard's choices ([`CreatePlan`]), what the host offers
//! ([`CreateOptions`], from [`create_options`]), the XML it would define
//! ([`proposed_xml`]) and the creation itself ([`create`]).
//!
//! [`create`] validates everything before its first side effect (name, sizes against the
//! pool's free space, ISO or image readable, network or bridge present), then creates
//! volumes (uploading an imported image through a libvirt stream), then defines the
//! domain. When a step after the first side effect fails, what was done is undone
//! (volumes deleted, domain undefined), so a failed creation leaves nothing behind.
//!
//! Inside: `options` (host facts), `prepare` (validation and the
//! [`DomainSpec`](crate::backend::domain_spec::DomainSpec)), `run` (side effects and
//! rollback), `url` (network install addresses), `image` (disk image formats), `serve`
//! (the worker's creation commands).

mod checks;
mod image;
mod options;
mod prepare;
mod run;
pub(crate) mod serve;
mod url;

use std::path::PathBuf;

use crate::backend::domain_spec::{DiskBus, Firmware, GraphicsKind};
use crate::backend::osinfo::OsEntry;

pub use checks::{resource_warnings, suggest_name, validate_name};
pub use image::{detect_image, ImageInfo};
pub use options::create_options;
pub(crate) use options::{host_bridges, is_local};
pub use prepare::proposed_xml;
pub use run::create;
pub use url::parse_install_url;

/// Where the installation comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InstallSource {
    /// An installation ISO on the host, attached as a CD-ROM.
    Iso(PathBuf),
    /// An existing disk image (qcow2 or raw) that becomes the first disk: used where it
    /// is, or copied into the named pool first.
    Import {
        path: PathBuf,
        copy_into_pool: Option<String>,
    },
    /// An http(s) URL of an installation ISO, attached as a network CD-ROM.
    Url(String),
    /// Nothing: the machine boots from its disk or the network.
    None,
}

/// Device models for the chosen OS (virtio where it supports it).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeviceModels {
    pub disk_bus: DiskBus,
    /// "virtio", "e1000e", "e1000", "rtl8139".
    pub nic_model: String,
    /// "virtio" or "vga".
    pub video: String,
    pub rng: bool,
    /// Windows keeps its clock in local time and likes Hyper-V enlightenments.
    pub clock_localtime: bool,
    pub hyperv: bool,
}

impl DeviceModels {
    /// What suits `os`: virtio disk, NIC, GPU and RNG where it supports them natively,
    /// otherwise SATA, the best emulated NIC it lists (e1000e on q35) and plain VGA.
    pub fn for_os(os: &OsEntry) -> DeviceModels {
        use crate::backend::osinfo::device_ids as ids;
        let nic_model = if os.supports_virtio_net() {
            "virtio"
        } else if os.supports_device(ids::E1000E) {
            "e1000e"
        } else if os.supports_device(ids::E1000) {
            "e1000"
        } else if os.supports_device(ids::RTL8139) {
            "rtl8139"
        } else {
            "e1000e"
        };
        DeviceModels {
            disk_bus: if os.supports_virtio_disk() {
                DiskBus::Virtio
            } else {
                DiskBus::Sata
            },
            nic_model: nic_model.into(),
            video: if os.supports_virtio_gpu() {
                "virtio"
            } else {
                "vga"
            }
            .into(),
            rng: os.supports_virtio_rng(),
            clock_localtime: os.is_windows(),
            hyperv: os.is_windows(),
        }
    }
}

/// The machine's disk.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StorageChoice {
    /// A new qcow2 volume named after the machine in `pool`.
    NewVolume {
        pool: String,
        size_bytes: u64,
    },
    Existing {
        pool: String,
        volume: String,
    },
    None,
}

/// The machine's network connection.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum NetworkChoice {
    /// A libvirt virtual network ("default" is the NAT one).
    Network(String),
    /// A host bridge device.
    Bridge(String),
    None,
}

/// Everything the wizard decided, resolved to concrete values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreatePlan {
    pub name: String,
    pub source: InstallSource,
    /// libosinfo id written into the domain's metadata.
    pub os_id: Option<String>,
    pub devices: DeviceModels,
    pub vcpus: u32,
    pub memory_kib: u64,
    pub storage: StorageChoice,
    pub network: NetworkChoice,
    pub firmware: Firmware,
    pub graphics: GraphicsKind,
    /// Domain type ("kvm", "qemu", "test"), arch and machine, from [`CreateOptions`].
    pub virt_type: String,
    pub arch: String,
    pub machine: Option<String>,
    /// The user's edited XML ("customise before install"): defined instead of the
    /// generated one. Volumes the plan asks for are still created.
    pub custom_xml: Option<String>,
}

/// Disk size when the OS recommends none.
pub const DEFAULT_DISK_BYTES: u64 = 20 << 30;
/// Memory when the OS recommends none.
pub const DEFAULT_MEMORY_KIB: u64 = 2 << 20;

impl CreatePlan {
    /// The wizard's starting point for `os` on this host: recommended resources (at least
    /// 2 vCPUs, within the host's), a new volume in the "default" pool (else the first
    /// active one), the "default" network (else the first active one), UEFI when the OS
    /// needs it and the host offers it, and a free name derived from the OS's short id.
    pub fn for_os(os: &OsEntry, options: &CreateOptions) -> CreatePlan {
        let host_cpus = options.host_cpus.max(1);
        let vcpus = os.recommended.cpus.unwrap_or(1).max(2).min(host_cpus);
        let mut memory_kib = os
            .recommended
            .ram_bytes
            .map(|b| b / 1024)
            .unwrap_or(DEFAULT_MEMORY_KIB);
        if options.host_memory_kib > 0 {
            memory_kib = memory_kib.min(options.host_memory_kib);
        }
        let size_bytes = os.recommended.storage_bytes.unwrap_or(DEFAULT_DISK_BYTES);
        let pool = options
            .pools
            .iter()
            .find(|p| p.active && p.name == "default")
            .or_else(|| options.pools.iter().find(|p| p.active));
        let storage = match pool {
            Some(p) => StorageChoice::NewVolume {
                pool: p.name.clone(),
                size_bytes,
            },
            None => StorageChoice::None,
        };
        let network = options
            .networks
            .iter()
            .find(|n| n.active && n.name == "default")
            .or_else(|| options.networks.iter().find(|n| n.active))
            .map(|n| NetworkChoice::Network(n.name.clone()))
            .unwrap_or(NetworkChoice::None);
        let base = if os.short_id.is_empty() {
            "vm"
        } else {
            &os.short_id
        };
        CreatePlan {
            name: suggest_name(base, &options.existing_names),
            source: InstallSource::None,
            os_id: Some(os.id.clone()),
            devices: DeviceModels::for_os(os),
            vcpus,
            memory_kib,
            storage,
            network,
            firmware: if os.requires_uefi && options.uefi_available {
                Firmware::Uefi
            } else {
                Firmware::Bios
            },
            graphics: GraphicsKind::Vnc,
            virt_type: options.virt_type.clone(),
            arch: options.arch.clone(),
            machine: options.machine.clone(),
            custom_xml: None,
        }
    }
}

/// A volume in a pool, as the storage step lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VolumeOption {
    pub name: String,
    pub path: String,
    pub capacity_bytes: u64,
    /// "qcow2", "raw", "iso"... (empty when libvirt does not say).
    pub format: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PoolOption {
    pub name: String,
    pub active: bool,
    /// Pool type ("dir", "logical", "netfs"...).
    pub kind: String,
    /// Target path (directory or device).
    pub path: String,
    pub capacity_bytes: u64,
    pub available_bytes: u64,
    /// Empty for an inactive pool (libvirt cannot list them).
    pub volumes: Vec<VolumeOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NetworkOption {
    pub name: String,
    pub active: bool,
    /// Forward mode: "nat", "route", "open", "bridge"...; "isolated" when it has none.
    pub mode: String,
    /// The network's bridge device, when it has one.
    pub bridge: String,
}

/// What the host offers the wizard.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CreateOptions {
    pub pools: Vec<PoolOption>,
    pub networks: Vec<NetworkOption>,
    /// Host bridge devices not owned by a libvirt network.
    pub bridges: Vec<String>,
    /// libvirt's domain capabilities list `efi` firmware (OVMF installed).
    pub uefi_available: bool,
    pub host_cpus: u32,
    pub host_memory_kib: u64,
    pub virt_type: String,
    pub arch: String,
    pub machine: Option<String>,
    pub existing_names: Vec<String>,
}

/// Steps reported while [`create`] runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CreateStep {
    Validating,
    CreatingVolume {
        pool: String,
        volume: String,
    },
    /// Copying an imported image into its new volume.
    Uploading {
        volume: String,
        sent_bytes: u64,
        total_bytes: u64,
    },
    Defining,
    /// A step failed; created volumes are being removed.
    RollingBack,
}
