//! The description of a setting ([`Setting`]) and the macro that turns the list of
//! settings into the typed [`crate::ConfigValues`] and the table [`crate::SETTINGS`].

/// Whether and how the API (`GET`/`PATCH /api/v1/config`) deals with a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// Shown and changeable; a change applies at once.
    Live,
    /// Shown and changeable; a change is saved and applies at the next start.
    Restart,
    /// Shown, never changed over the API (it guards what the server may reach).
    ReadOnly,
    /// Neither shown nor changeable (secrets, listeners, files the server reads).
    Hidden,
}

/// A command-line flag and its environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    /// `--long`.
    pub long: &'static str,
    /// `-s`.
    pub short: Option<char>,
    /// The environment variable read when the flag is not given.
    pub env: &'static str,
    /// The flag states the opposite of the setting (`--disable-dht` for `dht`).
    pub inverted: bool,
}

impl Flag {
    /// `--long`, read from `env` when absent.
    pub const fn new(long: &'static str, env: &'static str) -> Flag {
        Flag {
            long,
            short: None,
            env,
            inverted: false,
        }
    }

    /// With a one-letter form.
    pub const fn short(self, short: char) -> Flag {
        Flag {
            short: Some(short),
            ..self
        }
    }

    /// Whose value is the setting's negation.
    pub const fn inverted(self) -> Flag {
        Flag {
            inverted: true,
            ..self
        }
    }
}

/// Everything there is to know about one setting, apart from its type and check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// Its key in the config file and the API (camelCase).
    pub key: &'static str,
    /// Its flag and environment variable, if it has them.
    pub flag: Option<Flag>,
    /// Whether the config file may hold it (only the config file's own path may not).
    pub in_file: bool,
    /// What the API may do with it.
    pub api: Api,
    /// The default, as the README shows it.
    pub default: &'static str,
    /// What it does, one sentence for `--help`, the README and the OpenAPI document.
    pub about: &'static str,
}

impl Setting {
    /// A setting of the config file (and the API, per `api`) without a flag.
    pub const fn new(
        key: &'static str,
        api: Api,
        default: &'static str,
        about: &'static str,
    ) -> Setting {
        Setting {
            key,
            flag: None,
            in_file: true,
            api,
            default,
            about,
        }
    }

    /// Also given by a flag or environment variable.
    pub const fn flag(self, flag: Flag) -> Setting {
        Setting {
            flag: Some(flag),
            ..self
        }
    }

    /// Given only by its flag or environment variable, never in the config file.
    pub const fn command_line_only(self) -> Setting {
        Setting {
            in_file: false,
            ..self
        }
    }

    /// Whether `PATCH /api/v1/config` may change it.
    pub fn writable(&self) -> bool {
        matches!(self.api, Api::Live | Api::Restart)
    }
}

/// Where a value being set comes from.
#[derive(Clone, Copy)]
pub(crate) enum Input<'a> {
    /// The config file or the API.
    Json(&'a serde_json::Value),
    /// A flag or an environment variable.
    Text(&'a str),
}

/// Declares every setting: a field of [`crate::ConfigValues`] with its type and default,
/// its [`Setting`] description, and its check, which may also normalise the value
/// (`fn(T) -> Result<T, String>`, e.g. trimming).
macro_rules! settings {
    ($(
        $field:ident: $ty:ty = $default:expr, $setting:expr, check $check:expr;
    )*) => {
        /// The value of every setting. [`Default`] holds the defaults.
        #[derive(Debug, Clone, PartialEq)]
        pub struct ConfigValues {
            $(
                #[doc = concat!("`", stringify!($field), "`: see [`SETTINGS`].")]
                pub $field: $ty,
            )*
        }

        impl Default for ConfigValues {
            fn default() -> Self {
                ConfigValues { $($field: $default,)* }
            }
        }

        /// Every setting, in the order of the README table and of `--help`.
        pub static SETTINGS: &[Setting] = &[$($setting,)*];

        impl ConfigValues {
            /// Sets `key` from a JSON value (config file, API) after its check.
            pub fn set_json(&mut self, key: &str, value: &serde_json::Value) -> Result<(), SettingError> {
                self.set(key, Input::Json(value))
            }

            /// Sets `key` from the text of its flag or environment variable after its check.
            pub fn set_text(&mut self, key: &str, text: &str) -> Result<(), SettingError> {
                self.set(key, Input::Text(text))
            }

            fn set(&mut self, key: &str, input: Input<'_>) -> Result<(), SettingError> {
                $(
                    if $setting.key == key {
                        let value = match input {
                            Input::Json(json) => <$ty as SettingValue>::from_json(json),
                            Input::Text(text) => <$ty as SettingValue>::from_text(text),
                        }
                        .map_err(|why| SettingError::new(key, why))?;
                        let check: fn($ty) -> Result<$ty, String> = $check;
                        self.$field = check(value).map_err(|why| SettingError::new(key, why))?;
                        return Ok(());
                    }
                )*
                Err(SettingError::unknown(key))
            }

            /// The value of `key` as JSON; `None` for an unknown key.
            pub fn get_json(&self, key: &str) -> Option<serde_json::Value> {
                $(
                    if $setting.key == key {
                        return Some(SettingValue::to_json(&self.$field));
                    }
                )*
                None
            }

            /// Whether `key` may be `null` (unset).
            pub fn nullable(key: &str) -> bool {
                $(
                    if $setting.key == key {
                        return <$ty as SettingValue>::NULLABLE;
                    }
                )*
                false
            }

            /// The JSON type of `key` (`boolean`, `integer`, `number`, `string`, `array`).
            pub fn json_type(key: &str) -> Option<&'static str> {
                $(
                    if $setting.key == key {
                        return Some(<$ty as SettingValue>::JSON_TYPE);
                    }
                )*
                None
            }
        }
    };
}

pub(crate) use settings;
