{#-
    Raw text to typed values, for the base_raw__* models: NULL for text that breaks the
    contract, which the model then rejects with its reason. DuckDB's casts alone accept
    more than the contract does (docs/raw_contract.md, Files): 'infinity', '-infinity' and
    'epoch' as timestamps, any year from 1 to 294247, offsets like +25:00 and time-zone
    names; 'NaN', 'inf' and '1_000' as numbers.
-#}

{#-
    An ISO-8601 timestamp text to UTC: a date (year 1970..2099), optionally a time
    (hh:mm, hh:mm:ss or with a fraction, after T or a space), optionally an offset after
    the time (Z, or +hh, +hhmm, +hh:mm up to 14 hours); without one it is UTC. NULL for
    anything else, and for a day the calendar does not have (2026-02-30).
-#}
{% macro raw_timestamp(expr) -%}
    case
        when regexp_full_match({{ expr }}, '{{ raw_timestamp_pattern() }}')
            then timezone('UTC', try_cast({{ expr }} as timestamptz))
    end
{%- endmacro %}


{% macro raw_timestamp_pattern() -%}
    {{- '(19[7-9][0-9]|20[0-9][0-9])-[0-9]{1,2}-[0-9]{1,2}'
        ~ '([Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\\.[0-9]+)?)?'
        ~ '([Zz]|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)?)?' -}}
{%- endmacro %}


{#-
    A decimal number text (digits with an optional sign, point and exponent: 12, -0.5,
    1e3) cast to `type`; NULL for anything else (NaN, inf, 1_000, 0x10, 1,5) or when it
    does not fit the type.
-#}
{% macro raw_number(expr, type) -%}
    case
        when regexp_full_match({{ expr }}, '[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?')
            then try_cast({{ expr }} as {{ type }})
    end
{%- endmacro %}


{#-
    Whether any of the id columns holds a control character (NUL, a line break, ESC, ...):
    such an id cannot be typed, printed or matched reliably, and NUL cuts it short in the
    C clients many BI tools use.
-#}
{% macro has_control_character(columns) -%}
    {#- one match over the columns joined (concat skips NULLs) costs less than one per column -#}
    regexp_matches(concat({{ columns | join(', ') }}), '[\x00-\x1f\x7f]')
{%- endmacro %}


{#-
    Whether a (lower-cased) age band is a band: text without digits ('adult', 'unknown'), or
    a range of ages of at most three digits ('25-34', '25 to 34', '55+', '55<=', '<18',
    'under 18'). A bare number is an exact age and a date a birth date: neither is a band.
-#}
{% macro is_age_band(expr) -%}
    (
        not regexp_matches({{ expr }}, '[0-9]')
        or regexp_full_match({{ expr }}, '(<|<=|>|>=|under|over)? *[0-9]{1,3} *(-|–|~|to) *[0-9]{1,3}')
        or regexp_full_match({{ expr }}, '[0-9]{1,3} *(\+|<|<=|>|>=|and over|and above|or more)')
        or regexp_full_match({{ expr }}, '(<|<=|>|>=|under|over) *[0-9]{1,3}')
    )
{%- endmacro %}
