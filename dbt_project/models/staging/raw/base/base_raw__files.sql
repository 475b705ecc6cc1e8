{#-
    One row per raw file the build found in data_dir, every entity: its size and SHA-256,
    as `learnmart build` read them just before dbt ran (from the manifest it writes and
    names in $LEARNMART_RAW_FILES_MANIFEST). The next incremental build compares the events
    files here with the ones it finds: an events file is read once, by the build that first
    finds it, so one changed in place since would be silently ignored; the build stops
    instead and says to rebuild with --full-refresh. Empty when dbt runs without the CLI.
-#}
{%- set manifest = build_setting('raw_files_manifest', '') %}
with

manifest as (
    {%- if manifest %}
    select entity, file, bytes, sha256
    from read_json(
        {{ learnmart_path(manifest) }},
        format = 'array',
        columns = {entity: 'varchar', file: 'varchar', bytes: 'bigint', sha256: 'varchar'}
    )
    {%- else %}
    select
        cast(null as varchar) as entity,
        cast(null as varchar) as file,
        cast(null as bigint) as bytes,
        cast(null as varchar) as sha256
    where false
    {%- endif %}
),

final as (
    select entity, file, bytes, sha256 from manifest
)

select * from final
