//! The core's error type. Every message is Chinese, says what is wrong and what to do next;
//! `code()` gives a stable English identifier the front end and scripts can match on.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("无法打开数据库文件“{path}”：{source}。请确认文件夹存在、文件没有被其他程序占用，并且当前用户有读写权限。")]
    Open {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    #[error("数据库文件的版本（{found}）比本程序支持的版本（{supported}）新，可能是用更新版本的程序写入的。请安装最新版本的程序后再打开，不要用旧程序修改它。")]
    SchemaTooNew { found: i64, supported: i64 },

    #[error("升级数据库结构到第 {version} 版时失败：{source}。数据库没有被改动；请把数据库文件交给管理员检查。")]
    Migration {
        version: i64,
        #[source]
        source: rusqlite::Error,
    },

    #[error("数据库操作失败：{0}。数据没有被部分写入；请重试，如果反复出现，请先备份数据库文件再联系管理员。")]
    Sqlite(rusqlite::Error),

    /// The disk (or the USB stick a backup goes to) is full.
    #[error("磁盘空间已满（{place}），刚才的操作没有完成，数据没有被部分写入，已有的数据完好。请删除不用的文件、清空回收站，腾出空间后重试；备份到 U 盘时请换一个空间更大的 U 盘。")]
    DiskFull { place: String },

    #[error("找不到编号为 {0} 的农户，它可能已被合并或删除。请刷新列表后重试。")]
    HouseholdNotFound(i64),

    #[error("当前数据库里已经有 {households} 户数据，不能再载入示例数据（会和真实数据混在一起）。如需查看示例，请用“huce demo”生成一个单独的示例数据库。")]
    DatabaseNotEmpty { households: i64 },

    #[error("{0}")]
    Invalid(String),

    #[error("{}", io_message(path, source))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("请先登录。")]
    NotLoggedIn,

    #[error("当前账户“{who}”的角色是“{role}”，不能{action}。如需办理，请换用有权限的账户登录，或请管理员调整角色。")]
    Forbidden {
        who: String,
        role: &'static str,
        action: &'static str,
    },

    #[error("{0}")]
    Login(String),

    #[error("数据库“{}”已经在另一个窗口中打开（可能是这台电脑上另一个用户，或另一台电脑通过共享文件夹打开的）。同一个数据库同时只能在一个窗口里使用：请切换到那个窗口，或先把它关闭后再试。", .0.display())]
    AlreadyOpen(PathBuf),

    /// The server database (PostgreSQL): not reachable, refused the login, or failed a statement.
    #[error("{0}")]
    Server(String),

    /// Someone else changed the record since it was shown (another PC on the server): nothing
    /// was written; the message names who and when.
    #[error("{0}")]
    Conflict(String),

    #[error("数据库文件已损坏（SQLite 报告：{}）。程序没有使用它，也没有改动它。请用“恢复最近的完好备份”恢复，损坏的文件会被另存，交给管理员检查。", short(.0))]
    Damaged(String),

    /// The file's schema objects are not this program's (a trigger added by someone): the
    /// message names the object and says what to do.
    #[error("{0}")]
    Tampered(String),
}

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        let message = match e.as_db_error() {
            Some(db) => match db.code().code() {
                "28P01" | "28000" => "服务器拒绝了用户名或密码。请核对连接设置中的用户名和密码（由管理员在服务器上设置）。".to_string(),
                "3D000" => format!(
                    "服务器上没有这个数据库（{}）。请按使用说明的“办公室服务器设置”先在服务器上建好数据库。",
                    short(db.message())
                ),
                "42501" => format!(
                    "服务器上的这个用户没有所需的权限（{}）。请管理员给该用户授予这个数据库的权限。",
                    short(db.message())
                ),
                _ => format!(
                    "服务器数据库操作失败：{}。数据没有被部分写入；请重试，如果反复出现，请联系管理员。",
                    short(db.message())
                ),
            },
            None if e.is_closed() => "和服务器的连接断开了。数据没有被部分写入；请检查网络后重试。".to_string(),
            None if e.to_string().contains("does not support TLS") => "服务器没有开启 SSL 加密。请让管理员在服务器上开启 SSL（postgresql.conf 中 ssl = on 并配好证书），或在连接设置中选“不加密”并通过办公室局域网或 VPN 连接。".to_string(),
            None if e.to_string().contains("TLS") => format!(
                "和服务器建立加密连接失败：服务器的证书没有通过校验（{}）。请确认填写的服务器地址就是证书上的名称，并向管理员要服务器的根证书（填入“根证书文件”，或装入 Windows 的受信任根证书）；只需加密而不校验证书时，选“加密（不校验证书）”。",
                short(&e.to_string())
            ),
            None => format!(
                "连不上服务器数据库（{}）。请确认服务器电脑已开机、PostgreSQL 服务在运行、地址和端口正确，并且防火墙允许本机连接。",
                short(&e.to_string())
            ),
        };
        Error::Server(message)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull) {
            Error::DiskFull {
                place: "数据库所在的磁盘".into(),
            }
        } else {
            Error::Sqlite(e)
        }
    }
}

/// True for an I/O error that says the disk is full.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.kind() == std::io::ErrorKind::QuotaExceeded
}

fn io_message(path: &std::path::Path, source: &std::io::Error) -> String {
    if is_disk_full(source) {
        format!(
            "写入“{}”时磁盘空间已满，这一步没有完成，已写了一半的文件已删除或标为未完成。请腾出空间（或换一个空间更大的 U 盘）后重试。",
            path.display()
        )
    } else {
        format!(
            "读写文件“{}”失败：{source}。请确认路径正确、磁盘有空间并且有写入权限。",
            path.display()
        )
    }
}

/// The first words of a long technical detail.
fn short(detail: &str) -> String {
    let one: String = detail.split_whitespace().collect::<Vec<_>>().join(" ");
    if one.chars().count() > 60 {
        format!("{}…", one.chars().take(60).collect::<String>())
    } else {
        one
    }
}

impl Error {
    /// A stable identifier for the kind of error, for the front end and for scripts.
    pub fn code(&self) -> &'static str {
        match self {
            Error::Open { .. } => "db_open",
            Error::SchemaTooNew { .. } => "schema_too_new",
            Error::Migration { .. } => "migration",
            Error::Sqlite(_) => "db",
            Error::Server(_) => "server",
            Error::DiskFull { .. } => "disk_full",
            Error::Io { source, .. } if is_disk_full(source) => "disk_full",
            Error::HouseholdNotFound(_) => "household_not_found",
            Error::DatabaseNotEmpty { .. } => "database_not_empty",
            Error::Invalid(_) => "invalid",
            Error::Io { .. } => "io",
            Error::NotLoggedIn => "not_logged_in",
            Error::Forbidden { .. } => "forbidden",
            Error::Login(_) => "login",
            Error::AlreadyOpen(_) => "already_open",
            Error::Damaged(_) => "damaged",
            Error::Tampered(_) => "tampered",
            Error::Conflict(_) => "conflict",
        }
    }
}
