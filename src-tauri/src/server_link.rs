//! Which database this PC works on (#18): the embedded file (the default) or the office's server
//! database. The connection settings are kept in `server.json` beside the local database file;
//! the password only in the system's credential store (Windows Credential Manager; the kernel
//! keyring on Linux), never in a file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ApiError;

/// The file, beside the local database, that says to work on a server instead.
pub const SETTINGS_FILE: &str = "server.json";
/// The credential store's service name for the server passwords.
const KEYRING_SERVICE: &str = "huce-server-database";

/// How a PC reaches the server database (the 连接服务器… dialog's fields, without the password).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// `disable` (the office network or a VPN), `require` (encrypted, the certificate not
    /// checked) or `verify-full` (encrypted, the certificate checked against the system's trusted
    /// roots or `root_cert`, and naming the host).
    #[serde(default = "default_ssl")]
    pub ssl_mode: String,
    /// The office's root certificate file for `verify-full` (none: the system's trusted roots).
    #[serde(default)]
    pub root_cert: Option<String>,
}

fn default_ssl() -> String {
    "disable".into()
}

impl ServerSettings {
    /// `host:port/database`, as the header and messages name the server.
    pub fn name(&self) -> String {
        format!("{}:{}/{}", self.host, self.port, self.database)
    }

    /// The key of the password in the credential store.
    fn keyring_user(&self) -> String {
        format!("{}@{}", self.user, self.name())
    }

    /// Refuses settings that cannot work, saying which field to fix.
    pub fn check(&self) -> Result<(), ApiError> {
        let bad = |m: &str| Err(huce_core::Error::Invalid(m.to_string()).into());
        if self.host.trim().is_empty() {
            return bad("请填写服务器地址（服务器电脑的 IP 地址或名称，例如 192.168.1.10）。");
        }
        if self
            .host
            .chars()
            .any(|c| c.is_whitespace() || "/@?#".contains(c))
        {
            return bad("服务器地址里不能有空格或 / @ ? # 等符号，只填 IP 地址或电脑名称。");
        }
        if self.port == 0 {
            return bad("请填写端口（PostgreSQL 默认是 5432）。");
        }
        if self.database.trim().is_empty() || self.user.trim().is_empty() {
            return bad("请填写数据库名和用户名（由管理员在服务器上建好后告诉您）。");
        }
        match self.ssl_mode.as_str() {
            "disable" | "require" => {}
            "verify-full" => {
                if let Some(path) = self.root_cert() {
                    if !Path::new(path).is_file() {
                        return bad(&format!(
                            "找不到根证书文件“{path}”。请填写管理员给的证书文件（.crt 或 .pem）的完整位置，或不填而把证书装入 Windows 的受信任根证书。"
                        ));
                    }
                }
            }
            _ => {
                return bad("SSL 加密只能选“不加密”“加密（不校验证书）”或“加密并校验服务器证书”。")
            }
        }
        Ok(())
    }

    /// The root certificate file, when one is named and it matters (`verify-full`).
    fn root_cert(&self) -> Option<&str> {
        self.root_cert
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty() && self.ssl_mode == "verify-full")
    }

    /// The URL the core connects with (percent-encoded: a password may hold any character).
    pub fn url(&self, password: &str) -> String {
        let ssl = match self.ssl_mode.as_str() {
            "require" | "verify-full" => self.ssl_mode.as_str(),
            _ => "disable",
        };
        let root = self
            .root_cert()
            .map(|p| format!("&sslrootcert={}", encode(p)))
            .unwrap_or_default();
        format!(
            "postgres://{}:{}@{}:{}/{}?sslmode={ssl}{root}&connect_timeout=8&application_name=huce",
            encode(&self.user),
            encode(password),
            self.host.trim(),
            self.port,
            encode(&self.database)
        )
    }
}

/// Percent-encodes everything but unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Where the settings are kept for the local database at `db_path`.
pub fn settings_path(db_path: &Path) -> PathBuf {
    db_path
        .parent()
        .map(|d| d.join(SETTINGS_FILE))
        .unwrap_or_else(|| PathBuf::from(SETTINGS_FILE))
}

/// The saved settings, if this PC works on a server.
pub fn load(db_path: &Path) -> Result<Option<ServerSettings>, ApiError> {
    let path = settings_path(db_path);
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str(&text).map(Some).map_err(|_| {
            huce_core::Error::Invalid(format!(
                "服务器连接设置文件“{}”读不懂（可能被改坏了）。请删除它后重新“连接服务器…”。",
                path.display()
            ))
            .into()
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(huce_core::Error::Io { path, source }.into()),
    }
}

/// Saves the settings (through a temporary file, so a crash leaves the old ones or the new).
pub fn save(db_path: &Path, settings: &ServerSettings) -> Result<(), ApiError> {
    let path = settings_path(db_path);
    let part = path.with_extension("json.part");
    let io = |source| {
        ApiError::from(huce_core::Error::Io {
            path: path.clone(),
            source,
        })
    };
    let text = serde_json::to_string_pretty(settings).map_err(|_| ApiError::internal())?;
    std::fs::write(&part, text).map_err(io)?;
    std::fs::rename(&part, &path).map_err(io)
}

/// Goes back to the local file: the settings file is removed (the password stays in the
/// credential store until [`forget_password`]).
pub fn remove(db_path: &Path) -> Result<(), ApiError> {
    let path = settings_path(db_path);
    match std::fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(huce_core::Error::Io { path, source }.into()),
    }
}

fn keyring_error(e: keyring::Error) -> ApiError {
    huce_core::Error::Invalid(format!(
        "系统的凭据管理器不能保存或读取服务器密码（{e}）。请确认 Windows 的“凭据管理器”服务在运行，或请管理员检查这台电脑的账户设置。"
    ))
    .into()
}

/// Keeps the password in the system's credential store.
pub fn store_password(settings: &ServerSettings, password: &str) -> Result<(), ApiError> {
    keyring::Entry::new(KEYRING_SERVICE, &settings.keyring_user())
        .and_then(|e| e.set_password(password))
        .map_err(keyring_error)
}

/// The password kept for these settings, if any.
pub fn password(settings: &ServerSettings) -> Result<Option<String>, ApiError> {
    match keyring::Entry::new(KEYRING_SERVICE, &settings.keyring_user())
        .and_then(|e| e.get_password())
    {
        Ok(p) => Ok(Some(p)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}

/// Removes the kept password.
pub fn forget_password(settings: &ServerSettings) {
    if let Ok(e) = keyring::Entry::new(KEYRING_SERVICE, &settings.keyring_user()) {
        let _ = e.delete_credential();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> ServerSettings {
        ServerSettings {
            host: "192.168.1.10".into(),
            port: 5432,
            database: "石鱼镇".into(),
            user: "huce".into(),
            ssl_mode: "disable".into(),
            root_cert: None,
        }
    }

    #[test]
    fn a_password_with_any_character_survives_the_url() {
        let url = office().url("p@ss:w/rd #1");
        let config: postgres::Config = url.parse().unwrap();
        assert_eq!(config.get_password(), Some("p@ss:w/rd #1".as_bytes()));
        assert_eq!(config.get_dbname(), Some("石鱼镇"));
    }

    #[test]
    fn settings_that_cannot_work_say_which_field() {
        assert!(office().check().is_ok());
        let mut s = office();
        s.host = " ".into();
        assert!(s.check().unwrap_err().message.contains("服务器地址"));
        let mut s = office();
        s.host = "a/b".into();
        assert!(s.check().unwrap_err().message.contains("不能有空格"));
        let mut s = office();
        s.ssl_mode = "tls".into();
        assert!(s.check().unwrap_err().message.contains("不校验证书"));
        s.ssl_mode = "require".into();
        assert!(s.check().is_ok());
        s.ssl_mode = "verify-full".into();
        assert!(s.check().is_ok(), "the system's trusted roots");
        s.root_cert = Some("C:\\证书\\没有这个.crt".into());
        assert!(s.check().unwrap_err().message.contains("找不到根证书文件"));
    }

    #[test]
    fn the_encryption_asked_for_goes_into_the_url() {
        let url = office().url("pw");
        assert!(url.contains("sslmode=disable"), "{url}");
        let mut s = office();
        s.ssl_mode = "require".into();
        s.root_cert = Some("ignored.crt".into());
        let url = s.url("pw");
        assert!(
            url.contains("sslmode=require") && !url.contains("sslrootcert"),
            "{url}"
        );
        s.ssl_mode = "verify-full".into();
        s.root_cert = Some("C:\\办公室 证书\\ca.crt".into());
        let url = s.url("pw");
        assert!(url.contains("sslmode=verify-full"), "{url}");
        assert!(
            url.contains("sslrootcert=C%3A%5C"),
            "the path percent-encoded: {url}"
        );
    }

    #[test]
    fn settings_are_kept_beside_the_database_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("huce.db");
        assert_eq!(load(&db).unwrap(), None);
        save(&db, &office()).unwrap();
        assert_eq!(load(&db).unwrap(), Some(office()));
        let text = std::fs::read_to_string(settings_path(&db)).unwrap();
        assert!(
            !text.contains("password"),
            "no password in the file: {text}"
        );
        remove(&db).unwrap();
        assert_eq!(load(&db).unwrap(), None);
    }

    #[test]
    fn the_password_goes_to_the_credential_store_and_back() {
        let mut s = office();
        s.database = format!("test_{}", std::process::id());
        assert_eq!(password(&s).unwrap(), None);
        store_password(&s, "长密码 p@ss").unwrap();
        assert_eq!(password(&s).unwrap().as_deref(), Some("长密码 p@ss"));
        forget_password(&s);
        assert_eq!(password(&s).unwrap(), None);
    }
}
