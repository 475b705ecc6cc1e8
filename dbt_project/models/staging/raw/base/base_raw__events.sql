{#-
    Every raw event row read, typed, with the first contract rule it breaks (or NULL).
    stg_raw__events keeps the valid rows; rejected_events keeps the rest with the reason.

    Incremental, by file: raw event files are append-only deliveries, so a build reads only
    the files no earlier build loaded (a re-delivered file name is skipped; `learnmart
    build` stops first if its bytes changed, from base_raw__files) and appends their rows.
    An event_id that an earlier file already delivered is a duplicate_event_id here too,
    so re-delivering the same events under a new file name changes nothing downstream. A
    row's verdict is made when its file is first read; `learnmart build --full-refresh`
    re-reads every file. Only the file's own rules are judged here: whether the course is
    in the catalog is another entity's question, asked by int_events_rejected.
-#}
{{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}

{%- set loaded = [] -%}
{%- if is_incremental() and execute -%}
    {%- for row in run_query('select distinct _source_file from ' ~ this) -%}
        {%- do loaded.append(row[0]) -%}
    {%- endfor -%}
    {%- set present = raw_files('events') -%}
    {%- for file in loaded if file not in present['parquet'] + present['csv'] -%}
        {{ exceptions.raise_compiler_error(
            "events file " ~ file ~ " was loaded by an earlier build and is no longer in data_dir: "
            ~ "delivered files are append-only; run `learnmart build --full-refresh` to rebuild "
            ~ "from the files present") }}
    {%- endfor -%}
{%- endif %}

with

source as (
    select * from {{ raw_relation('events', skip_files=loaded) }}
),

{% if is_incremental() -%}
previous as (
    select coalesce(max(_source_row), 0) as last_source_row from {{ this }}
),

accepted_ids as (
    select event_id from {{ this }}
    where reject_reason is null and event_id is not null
),
{%- endif %}

repeated_ids as (
    -- the few ids delivered more than once: an aggregate over the raw ids alone, not a
    -- window sort of every column
    select event_id
    from source
    where event_id is not null
    group by event_id
    having count(*) > 1
),

rows_to_check as not materialized (
    -- every row read, plus a second copy of the few rows whose id repeats: kept_rows reads
    -- the copies' verdicts to choose which repeat is kept. Each consumer of `checked`
    -- filters on is_repeat_copy, which DuckDB pushes into the branches of this union, so
    -- no row but the repeats is typed and checked twice (checking all 5M rows twice at
    -- 200k users cost about a fifth of this model's CPU)
    select *, false as is_repeat_copy from source
    union all
    select *, true as is_repeat_copy from source
    where event_id in (select event_id from repeated_ids)
),

typed as (
    select
        _source_file,
        {% if is_incremental() -%}
        _source_row + previous.last_source_row as _source_row,
        {%- else -%}
        _source_row,
        {%- endif %}
        event_id,
        user_id,
        course_id,
        lower(event_type) as event_type,
        event_ts as event_ts_text,
        {{ raw_timestamp('event_ts') }} as event_ts,
        amount as amount_text,
        {{ raw_number('amount', 'decimal(18, 2)') }} as amount,
        upper(coalesce(currency, 'CNY')) as currency,
        rating as rating_text,
        {{ raw_number('rating', 'double') }} as rating_value,
        lower(channel) as channel,
        duration_seconds as duration_text,
        {{ raw_number('duration_seconds', 'double') }} as duration_value,
        progress as progress_text,
        {{ raw_number('progress', 'double') }} as progress_value,
        is_repeat_copy
    from rows_to_check
    {% if is_incremental() -%}
    cross join previous
    {%- endif %}
),

checked as not materialized (
    select
        *,
        case
            when user_id is null then 'missing_user'
            when {{ has_control_character(['event_id', 'user_id', 'course_id']) }} then 'invalid_id'
            when event_type is null
                or event_type not in ({{ "'" ~ event_types() | join("', '") ~ "'" }})
                then 'unknown_event_type'
            when event_ts is null then 'unparseable_timestamp'
            when event_ts > {{ built_at() }} then 'future_timestamp'
            when course_id is null
                and event_type in ({{ "'" ~ course_event_types() | join("', '") ~ "'" }})
                then 'missing_course'
            when event_type in ('purchase', 'refund') and amount_text is null
                then 'missing_amount'
            when event_type in ('purchase', 'refund') and amount is null
                then 'invalid_amount'
            when event_type in ('purchase', 'refund') and amount <= 0
                then 'non_positive_amount'
            when not regexp_full_match(currency, '[A-Z]{3}') then 'invalid_currency'
            when event_type = 'rating'
                and (
                    rating_value is null
                    or rating_value not between 1 and 5
                    or rating_value != floor(rating_value)
                )
                then 'rating_out_of_range'
            when duration_text is not null and duration_value is null then 'invalid_duration'
            -- a day is the most one event can last: more is a unit or clock error
            when duration_value < 0 or duration_value > 86400 then 'duration_out_of_range'
            when progress_text is not null and (progress_value is null or progress_value not between 0 and 1)
                then 'progress_out_of_range'
        end as contract_violation
    from typed
),

kept_rows as (
    -- for each repeated id, the row kept: its first valid row, else its first row
    select
        event_id,
        coalesce(
            min(_source_row) filter (where contract_violation is null), min(_source_row)
        ) as kept_source_row
    from checked
    where is_repeat_copy
    group by event_id
),

verdicts as (
    select
        checked.*,
        coalesce(
            checked.contract_violation,
            case
                when checked._source_row != kept_rows.kept_source_row then 'duplicate_event_id'
                {% if is_incremental() -%}
                when checked.event_id in (select event_id from accepted_ids) then 'duplicate_event_id'
                {%- endif %}
            end
        ) as reject_reason
    from checked
    left join kept_rows on checked.event_id = kept_rows.event_id
    where not checked.is_repeat_copy
),

final as (
    -- the raw text of timestamp, amount and rating is kept for rejected rows only (what
    -- rejected_events shows): an accepted row has the typed value, and writing a unique
    -- timestamp string for every accepted row is a cost staging does not need to pay
    select
        _source_file,
        _source_row,
        event_id,
        user_id,
        course_id,
        event_type,
        case when reject_reason is not null then event_ts_text end as event_ts_text,
        event_ts,
        case when reject_reason is not null then amount_text end as amount_text,
        case when event_type in ('purchase', 'refund') then amount end as amount,
        currency,
        case when reject_reason is not null then rating_text end as rating_text,
        -- only a valid rating is cast: NaN, inf or 3000000000 would fail the cast, and they are rejected
        case when event_type = 'rating' and reject_reason is null then cast(rating_value as integer) end as rating,
        channel,
        case when reject_reason is not null then duration_text end as duration_text,
        case when reject_reason is null then duration_value end as duration_seconds,
        case when reject_reason is not null then progress_text end as progress_text,
        case when reject_reason is null then progress_value end as progress,
        reject_reason,
        {{ built_at() }} as _loaded_at
    from verdicts
)

select * from final
