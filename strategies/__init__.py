"""Request generators and answer oracles for the Recordings APIs (pure Python, no HTTP).

Used by the conformance suite (`contract/`) to build requests and to know the right answers. Shares
nothing with `emulator/` but `specs/` (design rule 1). Schemathesis is imported only inside
`register_formats`; locust never.

Modules:

* `rhs_colon`: the RHS-Colon filter model, `parse`/`encode`, `matches` (the oracle), escaping (§4).
* `filters`: strategies for valid filters (corner-weighted) and labelled malformed ones.
* `corpus`: boundary corpora, filters aimed at them, and `select`, the listRecordings oracle.
* `metadata`: upload metadata, every PbxInfo variant, labelled invalid metadata.
* `audio`: tiny valid WAV (PCM-8/16, A-law, u-law) and MP3 files, labelled invalid audio.
* `telephony`: phone numbers, device names, directory numbers, usernames, emulator call set-ups.
* `oracle_safety`: the named reasons some characters are kept out of oracle comparisons.
* `durations`: ISO-8601 durations (`PT1M30S`).
* `schemathesis_formats`: registers `RHS-Colon:datetime` and `RHS-Colon:string` with Schemathesis.
"""

from strategies.audio import (
    MP3_CONTENT_TYPE,
    WAV_CONTENT_TYPES,
    AudioFile,
    InvalidAudio,
    WavInfo,
    audio_files,
    describe_wav,
    invalid_audio,
    mp3,
    wav,
)
from strategies.corpus import (
    FILTER_PARAMS,
    CorpusRecording,
    corpora,
    filters_for,
    order_key,
    plain_filters_for,
    query_params,
    select,
    tie_groups,
)
from strategies.durations import iso_duration, parse_iso_duration
from strategies.filters import (
    MalformedFilter,
    datetime_filters,
    instants,
    is_operator_lookalike,
    malformed_filters,
    string_filters,
    string_operands,
)
from strategies.metadata import (
    PBX_TYPES,
    InvalidMetadata,
    invalid_metadata,
    outside_retention_metadata,
    pbx_infos,
    upload_metadata,
)
from strategies.oracle_safety import is_oracle_safe_char, is_oracle_safe_value
from strategies.rhs_colon import (
    DATETIME_OPERATORS,
    RULES,
    STRING_OPERATORS,
    TICKS_PER_SECOND,
    DatetimeFilter,
    Filter,
    FilterKind,
    FilterSyntaxError,
    Instant,
    StringFilter,
    TimeFormat,
    encode,
    escape,
    matches,
    parse,
    selection_key,
    unescape,
)
from strategies.schemathesis_formats import DATETIME_FORMAT, STRING_FORMAT, register_formats
from strategies.telephony import (
    call_setups,
    device_names,
    directory_numbers,
    phone_numbers,
    usernames,
)

__all__ = [
    "DATETIME_FORMAT",
    "DATETIME_OPERATORS",
    "FILTER_PARAMS",
    "MP3_CONTENT_TYPE",
    "PBX_TYPES",
    "RULES",
    "STRING_FORMAT",
    "STRING_OPERATORS",
    "TICKS_PER_SECOND",
    "WAV_CONTENT_TYPES",
    "AudioFile",
    "CorpusRecording",
    "DatetimeFilter",
    "Filter",
    "FilterKind",
    "FilterSyntaxError",
    "Instant",
    "InvalidAudio",
    "InvalidMetadata",
    "MalformedFilter",
    "StringFilter",
    "TimeFormat",
    "WavInfo",
    "audio_files",
    "call_setups",
    "corpora",
    "datetime_filters",
    "describe_wav",
    "device_names",
    "directory_numbers",
    "encode",
    "escape",
    "filters_for",
    "instants",
    "invalid_audio",
    "invalid_metadata",
    "is_operator_lookalike",
    "is_oracle_safe_char",
    "is_oracle_safe_value",
    "iso_duration",
    "malformed_filters",
    "matches",
    "mp3",
    "order_key",
    "outside_retention_metadata",
    "parse",
    "parse_iso_duration",
    "pbx_infos",
    "phone_numbers",
    "plain_filters_for",
    "query_params",
    "register_formats",
    "select",
    "selection_key",
    "string_filters",
    "string_operands",
    "tie_groups",
    "unescape",
    "upload_metadata",
    "usernames",
    "wav",
]
