{#- One row per raw entity: rows read, accepted and rejected, with the build's times. -#}
with

context as (
    select * from {{ ref('int_build_context_resolved') }}
),

counts as (
    {%- for entity in raw_contract() %}
    select
        '{{ entity }}' as entity,
        count(*) as rows_read,
        count(*) filter (where reject_reason is null) as rows_accepted,
        count(*) filter (where reject_reason is not null) as rows_rejected
    from {{ ref('base_raw__' ~ entity) }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        counts.entity,
        counts.rows_read,
        counts.rows_accepted,
        counts.rows_rejected,
        context.as_of,
        context.built_at,
        context.first_event_at,
        context.last_event_at
    from counts
    cross join context
)

select * from final
