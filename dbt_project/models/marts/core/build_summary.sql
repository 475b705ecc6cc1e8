{#- One row per raw entity: rows read, accepted and rejected, with the build's times. -#}
with

context as (
    select * from {{ ref('int_build_context_resolved') }}
),

-- rows that passed their file's own rules and broke a rule about another entity
cross_entity as (
    select 'events' as entity, count(*) as rows_rejected from {{ ref('int_events_rejected') }}
),

staged as (
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

counts as (
    select
        staged.entity,
        staged.rows_read,
        staged.rows_accepted - coalesce(cross_entity.rows_rejected, 0) as rows_accepted,
        staged.rows_rejected + coalesce(cross_entity.rows_rejected, 0) as rows_rejected
    from staged
    left join cross_entity on staged.entity = cross_entity.entity
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
