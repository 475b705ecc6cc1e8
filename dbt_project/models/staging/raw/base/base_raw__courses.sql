{#- Every raw course row read, typed, with the first contract rule it breaks (or NULL). -#}
with

source as (
    select * from {{ raw_relation('courses') }}
),

typed as (
    select
        _source_file,
        _source_row,
        course_id,
        title,
        lower(category) as category,
        tags,
        lower(format) as format,
        price as price_text,
        {{ raw_number('price', 'decimal(18, 2)') }} as price,
        instructor_id,
        published_at as published_at_text,
        {{ raw_timestamp('published_at') }} as published_at
    from source
),

checked as (
    select
        *,
        case
            when course_id is null then 'missing_course_id'
            when {{ has_control_character(['course_id', 'instructor_id']) }} then 'invalid_id'
            when price_text is not null and price is null then 'invalid_price'
            when price < 0 then 'negative_price'
            when published_at_text is not null and published_at is null
                then 'unparseable_timestamp'
        end as contract_violation
    from typed
),

final as (
    select
        * exclude (contract_violation),
        coalesce(
            contract_violation,
            case
                when row_number() over (
                    partition by course_id order by contract_violation is not null, _source_row
                ) > 1
                    then 'duplicate_course_id'
            end
        ) as reject_reason
    from checked
)

select * from final
