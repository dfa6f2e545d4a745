//! The one place where core errors become what the front end shows: `{code, message}`, with a
//! Chinese message that says what is wrong and what to do.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn internal() -> ApiError {
        ApiError {
            code: "internal".into(),
            message: "程序内部出错，刚才的操作没有完成，已保存的数据不受影响。请关闭并重新打开程序后再试。".into(),
        }
    }
}

impl From<huce_core::Error> for ApiError {
    fn from(e: huce_core::Error) -> Self {
        ApiError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl From<tauri::Error> for ApiError {
    fn from(_: tauri::Error) -> Self {
        ApiError::internal()
    }
}
