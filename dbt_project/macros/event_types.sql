{#-
    The event types of the raw contract, and those that must name a course: the one list of
    them (base_raw__events judges by it, and the accepted_values test of stg_raw__events
    calls it). tests/unit/test_lists.py keeps seed event_weights (a weight per type) and
    docs/raw_contract.md in step with it.
-#}
{% macro event_types() %}
    {{ return(['view', 'trial', 'favorite', 'purchase', 'refund', 'complete', 'rating', 'share', 'checkin']) }}
{% endmacro %}

{% macro course_event_types() %}
    {{ return(['view', 'trial', 'favorite', 'refund', 'complete', 'rating', 'share']) }}
{% endmacro %}
