"""Every visible string of the report, in English and Chinese, and number/date formatting.

One catalogue per language; :func:`missing_keys` is checked by a test so the two stay in step.
"""

from __future__ import annotations

import datetime as dt
import math
import re

CATALOGUE: dict[str, dict[str, str]] = {
    "en": {
        "report.title": "Churn analysis report",
        "report.period": "Report period: {period} (data as of {as_of})",
        "report.generated": "Generated {date} for {company}",
        "report.generated_on": "Generated {date}",
        "report.sources": "Data sources",
        "report.contents": "Contents",
        "indicators.title": "Churn indicators and trends",
        "indicators.why": "How many customers we lose each period, and whether that is "
        "getting better or worse.",
        "indicators.kpis": "Headline figures",
        "indicators.trend": "Churn rate over time",
        "indicators.trend.why": "The line is the churn rate of each period; the band is its 95% "
        "confidence interval, so movements inside the band may be noise.",
        "indicators.flows": "Customers won and lost",
        "indicators.table": "Period table",
        "indicators.table.why": "Customers at the start of each period, new customers, "
        "returning customers, customers lost, and those who joined and left within the same "
        "period (counted apart, outside the churn rate). * marks a significant change against "
        "the previous period (p < 0.05).",
        "indicators.snapshot_note": "The data are a snapshot as of {as_of} (tenure and a churn "
        "flag, no dates), so there is no history to trend. The churn rate is churned customers / "
        "all customers in the snapshot.",
        "indicators.short_history": "Fewer than three complete periods: no trend chart.",
        "kpi.churn_rate": "Churn rate",
        "kpi.retention_rate": "Retention rate",
        "kpi.customers": "Customers at risk",
        "kpi.churned": "Customers lost",
        "kpi.ci": "95% CI {low} – {high}",
        "kpi.basis.start_set": "customers active at the start of {period}",
        "kpi.basis.snapshot": "all customers in the snapshot",
        "col.period": "Period",
        "col.start_customers": "At start",
        "col.new": "New",
        "col.reactivated": "Returned",
        "col.new_and_lost": "New and lost",
        "col.churned": "Churned",
        "col.end_customers": "At end",
        "col.churn_rate": "Churn rate",
        "col.ci": "95% CI",
        "col.retention_rate": "Retention",
        "chart.churn_rate": "Churn rate",
        "chart.ci_band": "95% confidence interval",
        "chart.period": "Period",
        "chart.customers": "Customers",
        "chart.new": "New",
        "chart.churned": "Churned (incl. new and lost)",
        "chart.end_customers": "Customers at end",
        "chart.alt.trend": "Line chart of the churn rate per period from {first} to {last}, between "
        "{low} and {high}; {rate} in {last}.",
        "chart.alt.flows": "Bar chart of customers won and lost per period from {first} to {last}: "
        "{new} won, {lost} lost, {end} customers at the end.",
        "appendix.title": "Appendix: data, definitions and parameters",
        "appendix.why": "What went into this report, what was left out and why, and the "
        "definitions used.",
        "appendix.quality": "Data quality",
        "appendix.quality.why": "Every row read is either kept or excluded with a reason; "
        "repairs (such as '?' read as missing) are counted.",
        "appendix.quality.none": "No rows were excluded or repaired.",
        "appendix.issues": "Issues found",
        "appendix.definitions": "Definitions used",
        "appendix.parameters": "Parameters",
        "col.table": "Table",
        "col.file": "File",
        "col.rows_read": "Rows read",
        "col.rows_kept": "Rows kept",
        "col.rows_excluded": "Rows excluded",
        "col.column": "Column",
        "col.action": "Action",
        "col.reason": "Reason",
        "col.count": "Rows",
        "col.examples": "Examples (row: value)",
        "col.parameter": "Parameter",
        "col.value": "Value",
        "action.excluded": "excluded",
        "action.repaired": "repaired",
        "action.note": "note",
        "def.contract": "Contract: a customer churns on its cancellation date (end date); "
        "subscriptions less than {gap} days apart form one spell.",
        "def.inactivity": "Inactivity: a customer churns {days} days after its last purchase; "
        "a later purchase starts a new spell (reactivation).",
        "def.snapshot": "Snapshot: start = {as_of} minus tenure; customers flagged churned "
        "count as lost in the report period.",
        "def.churn_rate": "Churn rate = customers lost in the period among those active at its "
        "start / customers active at its start. Customers who join and leave inside one period "
        "are shown as 'new and lost', outside the rate. 95% intervals are Wilson score "
        "intervals.",
        "def.retention": "Retention rate = 1 - churn rate.",
        "def.period": "Periods are calendar {period}s; the report period is the last complete "
        "one on {as_of}.",
        "period.month": "month",
        "period.quarter": "quarter",
        "period.year": "year",
        "chart.rolling": "3-period mean",
        "chart.sig_up": "significant rise",
        "chart.sig_down": "significant fall",
        "chart.new_revenue": "New",
        "chart.expansion": "Expansion",
        "chart.reactivation_revenue": "Reactivation",
        "chart.churned_revenue": "Churned",
        "chart.contraction": "Contraction",
        "chart.mrr_movement": "MRR movement",
        "chart.alt.bridge": "Bar chart of recurring revenue movements per period; in {last}: "
        "{new} new, {lost} churned, NRR {nrr}.",
        "chart.alt.bridge_flows": "Bar chart of recurring revenue movements per period; in "
        "{last}: {new} new, {lost} churned.",
        "chart.periods_since_joining": "Periods since joining",
        "chart.cohort": "Joined in",
        "chart.alt.cohorts": "Heatmap of retention for {cohorts} joining cohorts; after {k} "
        "periods between {low} and {high} are still customers.",
        "chart.still_customers": "Still customers",
        "chart.median_lifetime": "Median lifetime",
        "chart.months_since_start": "Months since becoming a customer",
        "chart.alt.survival": "Kaplan-Meier retention curve of {customers} customers; "
        "{at12} are still customers 12 months after joining.",
        "chart.alt.survival_short": "Kaplan-Meier retention curve of {customers} customers, "
        "observed up to {months} months after joining.",
        "indicators.alerts": "Alerts",
        "indicators.no_alerts": "No alert in {period}: no configured threshold was crossed.",
        "alert.churn_rate.above": "Churn rate {value} in {period} is above the alert limit of "
        "{threshold}.",
        "alert.annualised_churn_rate.above": "Annualised churn {value} is above the alert limit "
        "of {threshold} a year.",
        "alert.nrr.below": "Net revenue retention {value} is below the alert limit of {threshold}.",
        "alert.churn_rate_change.significant_increase": "Churn rose significantly against the "
        "previous period ({value}).",
        "kpi.annualised": "Annualised churn",
        "kpi.nrr": "Net revenue retention",
        "kpi.revenue_lost": "Annual revenue lost",
        "kpi.vs": "{change} vs {period}",
        "kpi.sig": "significant",
        "kpi.ns": "not significant",
        "kpi.per_year_of": "recurring revenue of the customers lost, per year",
        "indicators.revenue": "Recurring revenue",
        "indicators.revenue.why": "Which part of monthly recurring revenue (MRR) came from new "
        "customers and upgrades, and which left with churned customers and downgrades.",
        "indicators.no_revenue": "No revenue column is mapped (subscriptions.mrr or "
        "customers.monthly_revenue), so revenue churn, NRR and the cost of churn are not shown.",
        "indicators.cohorts": "Cohorts",
        "indicators.cohorts.why": "Each row follows the customers who joined in one period: the "
        "share still with us after each further period.",
        "indicators.survival": "Customer lifetime",
        "indicators.survival.why": "The share of customers still with us at each age "
        "(Kaplan-Meier), counting customers who are still active as far as we have seen them.",
        "survival.summary": "Median lifetime: {median}. Restricted mean lifetime over the "
        "first {horizon} months: {rmst} months ({customers} customers, {churned} of whom left).",
        "survival.summary_short": "Median lifetime: {median} ({customers} customers, {churned} of "
        "whom left). No customer has been observed for a full month yet, so there is no "
        "restricted mean lifetime.",
        "survival.months": "{months} months",
        "survival.not_reached": "not reached (more than half are still customers)",
        "indicators.value": "What churn costs",
        "indicators.value.why": "Churn in money: revenue and profit lost, what a customer is "
        "worth over its lifetime, and what less churn would be worth.",
        "value.statement": "{customers} customers × {rate} churn = {lost} lost; × {per_customer} "
        "annual revenue each = {revenue} revenue lost per year; × {margin} margin = {profit} "
        "profit lost.",
        "value.basis": "Churn basis for lifetime and scenarios: {annual} a year (mean of the last "
        "{k} periods, annualised), an expected lifetime of {years} years.",
        "value.clv_arpa": "Lifetime revenue per customer (ARPA / monthly churn): {clv}",
        "value.clv_spend": "Lifetime profit per customer (annual spend × {years} years × "
        "margin): {clv}",
        "value.snapshot": "Snapshot data: the churn it shows covers an unknown span, so no "
        "lifetime value or scenario is projected from it.",
        "value.no_scenarios": "Churn is already below one point a year: no reduction scenario.",
        "value.no_start": "No customer was active at the start of {period}, so there is no churn "
        "rate and no cost of churn to state for it.",
        "value.no_churn": "None of the {customers} customers active at the start of {period} was "
        "lost: churn cost no revenue in the period.",
        "value.no_basis": "None of the last {k} periods had customers at its start, so there is "
        "no churn rate to project a lifetime value or scenario from.",
        "value.no_annual_churn": "No customer was lost in the last {k} periods: with no churn to "
        "project from, no lifetime value or scenario is estimated.",
        "value.scenario_points": "{points} points less",
        "col.scenario": "Annual churn",
        "col.annual_churn_after": "Churn after",
        "col.customers_saved": "Customers kept",
        "col.revenue_per_year": "Revenue per year",
        "col.profit_per_year": "Profit per year",
        "col.start_revenue": "MRR at start",
        "col.new_revenue": "New",
        "col.expansion": "Expansion",
        "col.contraction": "Contraction",
        "col.churned_revenue": "Churned",
        "col.reactivation_revenue": "Reactivation",
        "col.end_revenue": "MRR at end",
        "col.arpa": "ARPA",
        "col.gross_revenue_churn": "Gross rev. churn",
        "col.net_revenue_churn": "Net rev. churn",
        "col.nrr": "NRR",
        "col.quick_ratio": "Quick ratio",
        "col.change": "vs previous",
        "indicators.definitions": "How other tools would count it",
        "indicators.definitions.why": "The same period's churn under the conventions of other "
        "tools; differences come from the denominator, not from the data.",
        "col.convention": "Convention",
        "col.denominator": "Denominator",
        "col.explanation": "Why it differs",
        "conv.start_set": "Start set (this report)",
        "conv.start_set.why": "Customers lost among those active at the period start.",
        "conv.all_joiners": "Everyone in the period",
        "conv.all_joiners.why": "Also counts customers who joined during the period, and those "
        "of them who left; lower when many join.",
        "conv.excluding_join_and_leave": "Excluding join-and-leave",
        "conv.excluding_join_and_leave.why": "Adds joiners to the denominator but leaves out "
        "those who joined and left within the period.",
        "conv.average_customers": "Average customers",
        "conv.average_customers.why": "Divides by the mean of start and end counts; higher when "
        "the base shrinks, lower when it grows.",
        "conv.rolling_30_days": "Rolling 30 days",
        "conv.rolling_30_days.why": "The last 30 days up to the report date instead of the "
        "calendar period.",
        "take.trend": "In {period} churn was {rate} (95% CI {low} – {high}); {vs_prev} {vs_year}",
        "take.change_sig": "{direction} {points} points vs {other}, a significant change.",
        "take.change_ns": "{points} vs {other}, within the noise.",
        "take.up": "up",
        "take.down": "down",
        "take.flows": "Over {n} periods {new} customers joined and {lost} left; the base is "
        "now {end} customers.",
        "take.bridge": "In {period} recurring revenue moved from {start} to {end}: {gained} "
        "gained (new, expansion, reactivation) against {lost} lost (churn, contraction); NRR "
        "{nrr}, quick ratio {quick}.",
        "take.bridge_moves": "In {period} recurring revenue moved from {start} to {end}: {gained} "
        "gained (new, expansion, reactivation) against {lost} lost (churn, contraction).",
        "take.nrr": "NRR {nrr}.",
        "take.no_nrr": "There was no recurring revenue at the start of the period, so there is no "
        "NRR.",
        "take.quick": "Quick ratio {quick}.",
        "take.no_quick": "No revenue was lost to churn or contraction, so there is no quick ratio "
        "(it divides by revenue lost).",
        "take.cohorts": "After {k} periods, between {low} and {high} of a joining cohort are "
        "still customers (latest complete cohort: {latest}).",
        "take.survival": "{at12} of customers are still with us 12 months after joining; median "
        "lifetime {median}.",
        "take.survival_short": "Customers have been observed for at most {months} months since "
        "joining, too short to say how many stay 12 months; median lifetime {median}.",
        "points": "{value} pts",
        "mix.types": "Of the {lost} customers lost in {period}, {voluntary} left by choice "
        "(voluntary) and {involuntary} because a payment failed (involuntary); {unknown} "
        "without a recorded type.",
        "mix.no_types": "No churn_type column: voluntary and involuntary churn are not separated.",
        "mix.referral": "Referral: {rate} of the new customers of {period} came by referral "
        "({referred} of {new}).",
        "mix.no_referral": "No referral column (referred_by): the referral rate is not shown.",
        "indicators.zero_start": "Periods with no customer at their start have no churn rate "
        "(shown as –): there was nobody who could leave.",
        "chart.churned_customers": "Customers lost",
        "chart.cumulative_share": "Cumulative share",
        "chart.controllable": "controllable (our doing)",
        "chart.uncontrollable": "outside our control",
        "chart.unknown_reason": "unknown / payment",
        "chart.alt.pareto": "Pareto chart of {n} reason categories; the largest, {top}, "
        "accounts for {share} of customers lost.",
        "chart.alt.by_segment": "Heatmap of reason categories by {dimension} ({levels} levels).",
        "chart.alt.over_time": "Stacked bars of customers lost per period by reason over {n} "
        "periods.",
        "chart.left_for_reason": "Customers who left for this reason",
        "chart.alt.incidence": "Cumulative share of customers who left, by reason, over {months} "
        "months; the largest is {top} at {share}.",
        "chart.hazard_ratio": "Hazard ratio (times as likely to leave in a month)",
        "chart.odds_ratio": "Odds ratio (times the odds of having left)",
        "chart.alt.drivers": "Forest plot of {n} churn drivers with 95% intervals; strongest: "
        "{top} ({effect}x).",
        "cause.unmapped": "Unmapped reason",
        "cause.not_stated": "No reason stated",
        "cause.other_causes": "Other causes",
        "causes.title": "Why customers leave",
        "causes.why": "The reasons customers give, mapped onto the cause taxonomy, and the "
        "behaviour and experience factors that measurably go with leaving.",
        "causes.reasons": "Stated reasons",
        "causes.reasons.why": "What customers said when they left, grouped into causes; red bars "
        "are causes the company controls.",
        "causes.segments": "Reasons by segment",
        "causes.segments.why": "Whether different groups leave for different reasons (share of "
        "each group's lost customers).",
        "causes.time": "Reasons over time",
        "causes.time.why": "How many customers left for each reason, period by period.",
        "causes.incidence": "Reasons over the customer lifetime",
        "causes.incidence.why": "The share of customers who have left for each reason by each "
        "age (competing risks: a customer who left for one reason cannot leave for another).",
        "causes.drivers": "What goes with leaving",
        "causes.drivers.why": "Factors compared in one model, each holding the others fixed; an "
        "effect above 1 raises churn, below 1 lowers it; grey ones are not significant.",
        "causes.no_reasons": "The data hold no stated churn reason (no churn_reason column, or "
        "an empty one): stated reasons are not analysed.",
        "causes.no_churners": "No customer left in the reasons window.",
        "causes.summary": "Of the {lost} customers lost from {start} to {end}, {stated} stated a "
        "reason. {top} account for {share} of all losses; {controllable} of the reasons that "
        "could be classified are causes the company controls.",
        "causes.and": " and ",
        "causes.more_reasons": "{n} less frequent reasons are not listed (all are in "
        "metrics.json).",
        "causes.all_mapped": "Every stated reason matched a rule of the mapping ({source}).",
        "causes.unmapped": "Unmapped reasons",
        "causes.unmapped.why": "No rule of the mapping file matched these; add them to the file "
        "to classify them. They are counted above as 'Unmapped reason'.",
        "causes.no_drivers": "No candidate driver in the data.",
        "causes.model_not_fitted": "The driver model was not fitted: {reason}.",
        "causes.null": "No clear effect: {names}.",
        "causes.model.hazard_ratio": "Discrete-time hazard model on {rows} customer-months with "
        "{events} departures; month effects absorb seasonality; significance is Holm-corrected.",
        "causes.model.odds_ratio": "Logistic regression on {rows} customers with {events} "
        "departures; significance is Holm-corrected.",
        "causes.model.sampled": "To keep the model within memory it was fitted on a random "
        "{share} of the customers ({customers} of {of}, each with its whole history): the "
        "estimates are unbiased and the intervals are those this sample supports; churn rates "
        "by driver level use every customer.",
        "causes.staff": "Customers whose account manager left churned at {after} a month in the "
        "90 days after, against {other} otherwise: {ratio} times as often (95% CI {lo}–{hi}; "
        "{months} customer-months).",
        "causes.dropped": "Left out of the model: {items}.",
        "drv.left.constant": "constant",
        "drv.left.few_values": "constant or too few values",
        "drv.left.pooled": "levels {levels} pooled as (other)",
        "drv.left.few_rows": "fewer than {rows} rows",
        "drv.left.correlated": "correlated with {twin}",
        "drv.left.few_events": "too few churn events ({events}) for {factors} factors: at least "
        "{need} needed",
        "drv.left.not_estimable": "not estimable: customers with it (almost) never or always "
        "churned",
        "drv.left.nobody_at_risk": "no customer was active at the start of any of the months "
        "studied",
        "col.reason_text": "Reason",
        "col.category": "Cause",
        "col.share": "Share",
        "col.cumulative": "Cumulative",
        "col.revenue_lost": "Revenue lost / yr",
        "col.driver": "Factor",
        "col.hazard_ratio": "Hazard ratio",
        "col.odds_ratio": "Odds ratio",
        "col.ci_low": "95% CI low",
        "col.ci_high": "95% CI high",
        "col.p_adjusted": "p (Holm)",
        "col.exposure": "Share of rows",
        "col.share_of_table": "Share of the table",
        "drv.complaint_90d": "Complaint in last 90 days",
        "drv.slow_response_90d": "Slow first response in last 90 days",
        "drv.low_satisfaction_90d": "Low satisfaction in last 90 days",
        "drv.manager_left_90d": "Account manager left in last 90 days",
        "drv.new_customer": "New customer (first 3 months)",
        "drv.age_band": "Age",
        "drv.customer_type": "Customer type",
        "drv.plan": "Plan",
        "drv.gender": "Gender",
        "drv.region": "Region",
        "drv.channel": "Channel",
        "drv.tenure_months": "Tenure",
        "drv.per_sd_name": "{name} (+1 SD)",
        "drv.level.under 30": "under 30",
        "drv.level.30-54": "30-54",
        "drv.level.55+": "55+",
        "drv.who.flag": "Customers with {name}",
        "drv.who.level": "Customers with {name} {level} (vs {reference})",
        "drv.who.per_sd": "Each standard deviation more {name}",
        "drv.who.complaint_90d": "Customers who complained in the last 90 days",
        "drv.who.slow_response_90d": "Customers who waited long for a first response in the "
        "last 90 days",
        "drv.who.low_satisfaction_90d": "Customers who gave a low satisfaction score in the last "
        "90 days",
        "drv.who.manager_left_90d": "Customers whose account manager left in the last 90 days",
        "drv.who.new_customer": "New customers (first 3 months)",
        "drv.sentence.hazard_ratio": "{who} left {effect} times as often (95% CI {lo}–{hi}).",
        "drv.sentence.odds_ratio": "{who} had {effect} times the odds of having left (95% CI "
        "{lo}–{hi}).",
        "drv.sentence.ns": "{who}: no clear effect ({effect}, 95% CI {lo}–{hi}, not significant).",
        "causes.summary_snapshot": "Of the {lost} customers lost in the snapshot, {stated} "
        "stated a reason. {top} account for {share} of all losses; {controllable} of the "
        "reasons that could be classified are causes the company controls.",
        "chart.alt.metric_cohorts": "Churn rate with 95% intervals by decile or level of the "
        "{n} strongest factors.",
        "causes.cohorts": "Churn rate by factor",
        "causes.cohorts.why": "The raw churn rate by decile (numbers) or level (categories) of "
        "the strongest factors, before the model holds the others fixed.",
        "col.group": "Controllable?",
        "group.subjective": "yes, our doing",
        "group.objective": "no, outside our control",
        "group.involuntary": "involuntary",
        "group.unmapped": "unknown (unmapped)",
        "group.not_stated": "unknown (not stated)",
        "seg.title": "Who churns",
        "seg.why": "Which groups lose customers fastest, whether the differences are real, and "
        "whether this period's churn changed because the mix of customers changed or because "
        "some group got worse.",
        "seg.intro": "Customers active on {start} ({customers}), and whether they left by {end}: "
        "a year of churn per segment.",
        "seg.intro_snapshot": "All {customers} customers of the snapshot of {end}.",
        "seg.tables": "Churn by segment",
        "seg.tables.why": "Churn rate per group with its 95% interval; lift is the rate against "
        "the overall rate; grey bars are groups under 30 customers, too small to judge.",
        "seg.real": "{top} churn most ({top_rate}), {low} least ({low_rate}); the difference is "
        "real ({test}, {p}); {pairs} of {npairs} pairs differ after Holm correction.",
        "seg.not_real": "Rates range from {low_rate} ({low}) to {top_rate} ({top}), but the "
        "difference may be chance ({test}, {p}).",
        "seg.test.chi-square": "chi-square test",
        "seg.test.fisher": "Fisher's exact test",
        "seg.too_small": "too small",
        "seg.survival": "Lifetime by segment",
        "seg.survival.why": "How long customers of each group stay (Kaplan-Meier), with the "
        "logrank test of whether the curves differ.",
        "seg.logrank": "Logrank test of equal curves: {p}.",
        "seg.change": "What changed",
        "seg.change.why": "The change in churn split into mix (more customers in high-churn "
        "groups) and rate (groups churning more); the two add up to the change.",
        "seg.change_sentence": "From {before} to {after} churn moved {change}: by {dimension}, "
        "mix {mix} and rates within groups {rate}; the largest contribution: {top} "
        "({top_change}).",
        "seg.no_change_snapshot": "A snapshot has one period only: no change to decompose.",
        "seg.no_change": "No change to split: that needs customers at the start of both the "
        "report period and the period it is compared with, and churn in at least one of them.",
        "seg.no_population": "No customer was active on {start}, the start of the one-year "
        "window: there is no churn to compare between segments.",
        "seg.none_churned": "None of the {customers} customers active at the start of the window "
        "churned, in any segment: there is no difference to test.",
        "seg.all_churned": "All {customers} customers active at the start of the window churned, "
        "in every segment: there is no difference to test.",
        "seg.one_level": "All customers are in one segment, {segment} ({rate} churn): nothing to "
        "compare.",
        "seg.logrank_none": "No customer in these segments has churned yet: their lifetimes "
        "cannot be compared.",
        "seg.heatmaps": "Churn by segment and period",
        "seg.heatmaps.why": "Monthly churn rate of each group over the last year.",
        "seg.tenure_band": "Tenure",
        "seg.age_band": "Age",
        "seg.account_manager": "Account manager",
        "col.segment": "Group",
        "col.customers_at_risk": "Customers",
        "col.customers": "Customers",
        "col.share_of_churn": "Share of churn",
        "col.lift": "Lift",
        "col.small": "Note",
        "col.median_lifetime": "Median lifetime (months)",
        "col.rmst": "Mean lifetime (months, restricted)",
        "col.horizon": "Horizon (months)",
        "col.dimension": "Dimension",
        "col.compared_with": "Compared with",
        "col.change_total": "Change",
        "col.mix_effect": "Mix effect",
        "col.rate_effect": "Rate effect",
        "col.largest_contribution": "Largest contribution",
        "survival.not_reached_short": "not reached",
        "chart.overall_rate": "overall rate",
        "chart.alt.segment_rates": "Churn rate of {n} groups by {dimension} with 95% intervals; "
        "highest: {top} at {rate}.",
        "chart.alt.segment_survival": "Kaplan-Meier retention curves of {n} groups by {dimension}.",
        "chart.alt.segment_heatmap": "Heatmap of churn rates of {n} groups by {dimension} over "
        "{periods} periods.",
        "seg.value_class": "Value class (ABC)",
        "seg.rfm_group": "RFM group",
        "seg.lifecycle": "Lifecycle",
        "seg.lifecycle.why": "Each period's active customers by state: new, returning from the "
        "previous period, resurrecting after a lapse; below the line, those who went dormant.",
        "life.new": "new",
        "life.returning": "returning",
        "life.resurrecting": "resurrecting",
        "life.dormant": "dormant",
        "life.inactive": "inactive",
        "life.not_yet": "not yet a customer",
        "life.from": "State in the earlier period",
        "life.transitions": "Customers by state in {before} (rows) and {after} (columns).",
        "chart.alt.lifecycle": "Stacked bars of new, returning and resurrecting customers per "
        "period over {n} periods, dormant ones below the axis.",
        "dq.blank": "(blank)",
        "dq.missing_token": "placeholder text (such as '?') read as a missing value",
        "dq.blank_value": "empty cells, kept as missing values",
        "dq.missing_required_value": "rows without a required value cannot be analysed",
        "dq.empty_column_dropped": "entirely empty unnamed columns ignored",
        "dq.columns_not_used": "columns not read: transactions are reduced to purchases and "
        "spend per customer and day",
        "dq.starts_after_as_of": "spells starting after the report date are left out",
        "dq.ends_after_as_of": "spells ending after the report date count as active on it",
        "dq.no_activity": "customers with no subscription or purchase up to the report date",
        "dq.activity_without_customer_row": "ids with activity but no row in the customers "
        "source: kept, with empty attributes",
        "dq.stated_churn_disagrees_with_dates": "the stated churn flag disagrees with the dates; "
        "the dates are used",
        "dq.far_future_date": "far-future dates (such as 9999-12-31, an open-end marker) read "
        "as no date: an end date is open",
        "dq.placeholder_date": "placeholder dates (1900-01-01, 1899-12-30, 1970-01-01) read as "
        "missing: a row needing the date is excluded",
        "dq.id_written_as_decimal": "ids written as decimal numbers (17.0) read as whole "
        "numbers (17)",
        "dq.id_matched_by_number": "ids written with other leading zeros than in the customers "
        "table (58 for 000058) matched by their number (one-to-one)",
        "dq.unknown_customer": "rows whose customer id is not in the customers table",
        "dq.non_positive_revenue": "zero or negative monthly revenue: kept as given",
        "warning.title": "Early warning and win-back",
        "warning.why": "Who is likely to leave next period, what that would cost, and whom to "
        "call first.",
        "warning.backtest": "How well the warning works",
        "warning.backtest.why": "Two models were trained on the past and tested on later "
        "months they had not seen, the way the list will be used.",
        "warning.list": "Customers at risk",
        "warning.list.why": "Today's customers ranked by expected loss = probability of leaving "
        "x annual value, with the three factors that raise each customer's risk most.",
        "warning.tiers": "Win-back priorities by customer value",
        "warning.tiers.why": "The standard rule: important customers are worth any effort, "
        "major ones real effort, ordinary ones cheap actions; small ones are let go and those "
        "bringing no revenue are not pursued.",
        "warning.lost": "Customers lost this period: whom to win back",
        "warning.lost.why": "Customers who left in the report period, by their value when they "
        "left; contact them fast, learn the reason, fix it and follow up within a week.",
        "warning.previous": "Last run's list scored",
        "warning.previous.why": "How the previous run's probabilities did against what "
        "actually happened since, so you can judge how far to trust this list.",
        "warning.why_not.too_few_churners": "Too few customers left in the history to train a "
        "warning model (at least 40 needed); no list this time.",
        "warning.why_not.no_history": "No complete period with a known outcome before the "
        "report date: no warning model can be trained yet.",
        "warning.why_not.nobody_active": "No customer is active on the report date, so there is "
        "nobody to score: no list this time.",
        "warning.why_not.too_few_stayers": "Too few customers stayed in the history to train a "
        "warning model (a model needs customers who left and customers who stayed, at least 40 of "
        "each); no list this time.",
        "warning.training_sample": "The models learned from a random {share} of the customers "
        "({customers} of {of}, each at every period end it was active): enough for the estimates, "
        "and it keeps the run within memory; every active customer is scored.",
        "warning.time_split": "Trained on {train} customer snapshots at period ends up to "
        "{until}, tested on {test} snapshots from {since} onwards (a time split: the test "
        "months were never seen in training).",
        "warning.cv.snapshot": "The data are one snapshot with no dates, so a backtest in time "
        "is impossible. The figures below are a 5-fold cross-validated estimate on the same "
        "{n} customers: useful for ranking, but likely optimistic, and the probabilities are "
        "of having left by the snapshot, not of leaving next period.",
        "warning.cv.short_history": "The history is too short for a time split (too few "
        "customers left in the held-out months), so the figures are a 5-fold cross-validated "
        "estimate on {n} customer snapshots, likely optimistic.",
        "warning.result": "The {model} ranks customers with an AUC of {auc} (0.5 = chance, 1 = "
        "perfect); the riskiest 10% left {lift} times as often as the average customer "
        "({rate}).",
        "warning.choice.auc": "The {model} scores today's customers: it ranked them best.",
        "warning.choice.calibration": "The {model} scores today's customers: the other model "
        "ranked slightly better but its probabilities were off by more than a third.",
        "warning.model.logistic": "logistic regression",
        "warning.model.gradient_boosting": "gradient boosting model",
        "warning.list_summary": "{n} customers scored; about {expected} of them are expected to "
        "leave by {horizon}, an expected loss of {loss} in annual revenue ({basis}). The top "
        "10% of the list carry {top_share} of it.",
        "warning.list_summary_novalue": "{n} customers scored; about {expected} of them are "
        "expected to leave by {horizon}. No revenue data: the list is ranked by probability.",
        "warning.basis.mrr": "12 x monthly recurring revenue",
        "warning.basis.monthly_revenue": "12 x monthly revenue",
        "warning.basis.transactions": "spend of the last 12 months",
        "warning.basis.none": "no revenue data",
        "warning.no_previous": "No earlier run of this report whose forecast period has ended "
        "was found in the reports folder; the next run will score this one.",
        "warning.previous_sentence": "The run of {made} expected {predicted} of its {matched} customers to "
        "leave by {end}; {left} did. It ranked them with an AUC of {auc} and the riskiest 10% "
        "left {lift} times as often as average.",
        "warning.files": "The full list is in at_risk.csv and at_risk.xlsx in the run folder.",
        "warning.masked": "Customer ids are masked (keyed hash) and name-like columns left out "
        "(pii: mask).",
        "col.model": "Model",
        "col.auc": "ROC AUC",
        "col.pr_auc": "PR AUC",
        "col.top_decile_lift": "Top-10% lift",
        "col.brier": "Brier score",
        "col.calibration_ratio": "Predicted / actual",
        "col.rank": "#",
        "col.customer": "Customer",
        "col.probability": "Probability of leaving",
        "col.annual_value": "Annual value",
        "col.expected_loss": "Expected loss",
        "col.tier": "Value tier",
        "col.reasons": "Main risk factors",
        "col.recommended_action": "Recommended action",
        "col.annual_value_range": "Annual value",
        "col.value_at_stake": "Annual value",
        "col.value_lost": "Annual value lost",
        "col.mean_probability": "Mean probability",
        "tier.important": "Important",
        "tier.major": "Major",
        "tier.ordinary": "Ordinary",
        "tier.small": "Small",
        "tier.never": "Never",
        "tier.important.rule": "Win back at any cost",
        "tier.major.rule": "Make a real effort",
        "tier.ordinary.rule": "Act when it is cheap",
        "tier.small.rule": "Let go",
        "tier.never.rule": "Do not win back (no revenue)",
        "tier.range.at_least": "{low} or more",
        "tier.range.between": "{low} – {high}",
        "tier.range.below": "below {high}",
        "tier.range.none": "none",
        "action.tier.important": "Senior manager calls this week",
        "action.tier.major": "Account manager calls",
        "action.tier.ordinary": "Targeted e-mail or offer",
        "action.tier.small": "Automated messages only",
        "action.tier.never": "Do not pursue",
        "action.tier.unknown": "Contact by probability",
        "action.cause.service": "resolve open tickets and apologise",
        "action.cause.employee": "introduce the new account manager in person",
        "action.cause.price": "review the price change with the customer",
        "action.cause.engagement": "offer a usage review to re-engage",
        "action.cause.onboarding": "onboarding check-in",
        "reason.separator": "; ",
        "reason.complaints_window": "{n} complaint(s) in the last {days} days",
        "reason.slow_responses_window": "{n} slow first response(s) in the last {days} days",
        "reason.low_satisfaction_window": "{n} low satisfaction score(s) in the last {days} days",
        "reason.tickets_window": "{n} support ticket(s) in the last {days} days",
        "reason.response_hours_mean": "first responses took {value} h on average",
        "reason.manager_left_window": "account manager left in the last {days} days",
        "reason.recency_days": "no purchase for {n} days",
        "reason.purchases_window": "{n} purchase(s) in the last {days} days (typical {typical})",
        "reason.spend_window": "spent {money} in the last {days} days (typical {money_typical})",
        "reason.spend_trend": "spend changed {change} against the {days} days before",
        "reason.mrr": "monthly revenue {money} (typical {money_typical})",
        "reason.mrr_change": "monthly price changed {change} in the last {days} days",
        "reason.tenure_months": "customer for only {n} months",
        "reason.returning": "came back after leaving before",
        "reason.age": "age {n}",
        "reason.attribute": "{label}: {value}",
        "reason.attribute_number": "{label} {value} (typical {typical})",
        "chart.perfect": "Perfect calibration",
        "chart.predicted": "Predicted probability of leaving",
        "chart.observed": "Share who actually left",
        "chart.alt.calibration": "Calibration of {n} models on the backtest: predicted against "
        "observed churn per tenth of predicted risk; points on the diagonal are well calibrated.",
        "summary.title": "Executive summary",
        "summary.why": "The report period at a glance: what churn cost, why customers leave, "
        "who is most at risk and what to do.",
        "summary.kpi.churn_rate": "Churn rate",
        "summary.kpi.retention_rate": "Retention rate",
        "summary.kpi.churned": "Customers lost",
        "summary.kpi.revenue_lost": "Revenue lost (per year)",
        "summary.kpi.profit_lost": "Profit lost (per year)",
        "summary.kpi.nrr": "Net revenue retention",
        "summary.kpi.clv": "Customer lifetime value",
        "summary.margin": "at a {margin} margin",
        "summary.findings": "Findings",
        "summary.actions": "Recommended actions",
        "summary.alert": "Alert: ",
        "summary.cost": "The {lost} customers lost in {period} took {revenue} of annual revenue "
        "with them ({profit} of profit); one point less annual churn would keep about {saved} a "
        "year.",
        "summary.cost_only": "The {lost} customers lost in {period} took {revenue} of annual "
        "revenue with them ({profit} of profit).",
        "summary.no_churn": "None of the {customers} customers active at the start of {period} "
        "left during it.",
        "indicators.no_start": "No customer was active at the start of {period}, so there is no "
        "churn rate for it.",
        "summary.lost": "{lost} of {customers} customers left in {period} (churn rate {rate}).",
        "summary.cause": "{category} is the most common stated reason for leaving: {share} of the "
        "customers who left; {controllable} of the reasons are within the company's control.",
        "summary.segment": "{dimension} {level} churn the most: {rate}, {lift} times the average, "
        "{share} of all customers lost.",
        "summary.risk": "The early-warning model expects about {expected} of today's {n} "
        "customers to leave by {horizon}; the at-risk list ranks them by expected loss.",
        "summary.action.immediate": "Contact this period's lost customers within a week: "
        "apologise, learn the reason, fix it and follow up.",
        "summary.action.service": "Service: answer every complaint fast (first response within "
        "6 hours) and close it within a week; each complaint stands for many silent customers.",
        "summary.action.price": "Price: review the last price rise with the customers it hit and "
        "offer loyalty terms to the valuable ones.",
        "summary.action.product": "Product: fix the quality problems and gaps customers name.",
        "summary.action.employee": "Staff: when an account manager leaves, introduce the "
        "successor to each customer in person within the first week.",
        "summary.action.brand": "Brand: restore regular contact with customers not reached "
        "for a long time.",
        "summary.action.competitor": "Competition: learn what the competitor offers and match it "
        "for the customers worth keeping.",
        "summary.action.involuntary": "Payments: retry failed payments and remind customers "
        "before cards expire.",
        "summary.action.onboarding": "New customers: an onboarding call and a check-in in the "
        "first three months, when churn is highest.",
        "summary.action.call_list": "Call first the {n} important and major customers in the "
        "top tenth of the at-risk list (at_risk.xlsx).",
    },
    "zh": {
        "report.title": "客户流失分析报告",
        "report.period": "报告期：{period}（数据截至 {as_of}）",
        "report.generated": "{company}，生成于 {date}",
        "report.generated_on": "生成于 {date}",
        "report.sources": "数据来源",
        "report.contents": "目录",
        "indicators.title": "流失指标与趋势",
        "indicators.why": "每期流失多少客户，情况在变好还是变坏。",
        "indicators.kpis": "核心指标",
        "indicators.trend": "流失率走势",
        "indicators.trend.why": "折线为各期流失率，阴影为其 95% 置信区间；区间内的波动可能只是噪声。",
        "indicators.flows": "新增与流失客户",
        "indicators.table": "分期明细",
        "indicators.table.why": "各期期初客户数、新增客户、召回客户、流失客户，以及同一期内新增又流失的客户（单独列示，不计入流失率）。* 表示较上期变化显著（p < 0.05）。",
        "indicators.snapshot_note": "数据为截至 {as_of} 的快照（只有在网时长和流失标记，没有日期），"
        "因此无法展示趋势。流失率 = 流失客户数 / 快照中全部客户数。",
        "indicators.short_history": "完整周期不足三期，不绘制趋势图。",
        "kpi.churn_rate": "流失率",
        "kpi.retention_rate": "留存率",
        "kpi.customers": "风险客户数",
        "kpi.churned": "流失客户数",
        "kpi.ci": "95% 置信区间 {low} – {high}",
        "kpi.basis.start_set": "{period} 期初在网客户",
        "kpi.basis.snapshot": "快照中的全部客户",
        "col.period": "期间",
        "col.start_customers": "期初客户",
        "col.new": "新增",
        "col.reactivated": "召回",
        "col.new_and_lost": "新增即流失",
        "col.churned": "流失",
        "col.end_customers": "期末客户",
        "col.churn_rate": "流失率",
        "col.ci": "95% 置信区间",
        "col.retention_rate": "留存率",
        "chart.churn_rate": "流失率",
        "chart.ci_band": "95% 置信区间",
        "chart.period": "期间",
        "chart.customers": "客户数",
        "chart.new": "新增",
        "chart.churned": "流失（含新增即流失）",
        "chart.end_customers": "期末客户数",
        "chart.alt.trend": "{first}至{last}各期流失率折线图，介于 {low} 与 {high} 之间；{last}为 {rate}。",
        "chart.alt.flows": "{first}至{last}各期新增与流失客户柱状图：新增 {new}，流失 {lost}，期末 {end} 位客户。",
        "appendix.title": "附录：数据、定义与参数",
        "appendix.why": "本报告使用了哪些数据、排除了哪些及原因，以及所用的定义。",
        "appendix.quality": "数据质量",
        "appendix.quality.why": "读取的每一行要么保留，要么注明原因后排除；修复（如把“?”视为缺失）也逐项计数。",
        "appendix.quality.none": "没有排除或修复任何行。",
        "appendix.issues": "发现的问题",
        "appendix.definitions": "所用定义",
        "appendix.parameters": "参数",
        "col.table": "数据表",
        "col.file": "文件",
        "col.rows_read": "读取行数",
        "col.rows_kept": "保留行数",
        "col.rows_excluded": "排除行数",
        "col.column": "列",
        "col.action": "处理",
        "col.reason": "原因",
        "col.count": "行数",
        "col.examples": "示例（行：值）",
        "col.parameter": "参数",
        "col.value": "取值",
        "action.excluded": "排除",
        "action.repaired": "修复",
        "action.note": "说明",
        "def.contract": "合约制：客户在解约日（结束日期）流失；间隔少于 {gap} 天的订阅合并为一段。",
        "def.inactivity": "非合约制：客户最后一次购买后 {days} 天无购买即视为流失；之后再次购买开始新的一段（召回）。",
        "def.snapshot": "快照：开始日期 = {as_of} 减去在网时长；标记为流失的客户计入报告期流失。",
        "def.churn_rate": "流失率 = 期初在网客户中本期流失的人数 / 期初在网客户数。同一期内新增又流失的客户单独列为“新增即流失”，不计入流失率。95% 区间为 Wilson 区间。",
        "def.retention": "留存率 = 1 - 流失率。",
        "def.period": "周期为自然{period}；报告期为截至 {as_of} 的最后一个完整周期。",
        "period.month": "月",
        "period.quarter": "季度",
        "period.year": "年",
        "chart.rolling": "三期移动平均",
        "chart.sig_up": "显著上升",
        "chart.sig_down": "显著下降",
        "chart.new_revenue": "新增",
        "chart.expansion": "扩展",
        "chart.reactivation_revenue": "召回",
        "chart.churned_revenue": "流失",
        "chart.contraction": "收缩",
        "chart.mrr_movement": "MRR 变动",
        "chart.alt.bridge": "各期经常性收入变动柱状图；{last}：新增 {new}，流失 {lost}，净收入留存率 {nrr}。",
        "chart.alt.bridge_flows": "各期经常性收入变动柱状图；{last}：新增 {new}，流失 {lost}。",
        "chart.periods_since_joining": "加入后期数",
        "chart.cohort": "加入期间",
        "chart.alt.cohorts": "{cohorts} 个加入批次的留存热力图；{k} 期后仍在网比例介于 {low} 与 {high} 之间。",
        "chart.still_customers": "仍在网比例",
        "chart.median_lifetime": "生命周期中位数",
        "chart.months_since_start": "成为客户后的月数",
        "chart.alt.survival": "{customers} 位客户的 Kaplan-Meier 留存曲线；加入 12 个月后仍有 {at12} 在网。",
        "chart.alt.survival_short": "{customers} 位客户的 Kaplan-Meier 留存曲线，观察期最长为加入后 {months} 个月。",
        "indicators.alerts": "预警",
        "indicators.no_alerts": "{period} 无预警：未触及任何设定阈值。",
        "alert.churn_rate.above": "{period} 流失率 {value}，高于预警线 {threshold}。",
        "alert.annualised_churn_rate.above": "年化流失率 {value}，高于预警线（每年 {threshold}）。",
        "alert.nrr.below": "净收入留存率 {value}，低于预警线 {threshold}。",
        "alert.churn_rate_change.significant_increase": "流失率较上期显著上升（{value}）。",
        "kpi.annualised": "年化流失率",
        "kpi.nrr": "净收入留存率",
        "kpi.revenue_lost": "年流失收入",
        "kpi.vs": "较{period} {change}",
        "kpi.sig": "显著",
        "kpi.ns": "不显著",
        "kpi.per_year_of": "流失客户每年的经常性收入",
        "indicators.revenue": "经常性收入",
        "indicators.revenue.why": "月经常性收入（MRR）中，多少来自新客户和升级，多少随流失客户和降级而减少。",
        "indicators.no_revenue": "未映射收入列（subscriptions.mrr 或 customers.monthly_revenue），因此不显示收入流失、净收入留存率和流失成本。",
        "indicators.cohorts": "客户批次",
        "indicators.cohorts.why": "每一行跟踪同一期加入的客户：此后每一期仍在网的比例。",
        "indicators.survival": "客户生命周期",
        "indicators.survival.why": "各在网时长下仍在网的客户比例（Kaplan-Meier），仍在网的客户按已观察到的时长计入。",
        "survival.summary": "生命周期中位数：{median}。前 {horizon} 个月内的限制平均生命周期：{rmst} 个月（{customers} 位客户，其中 {churned} 位已流失）。",
        "survival.summary_short": "生命周期中位数：{median}（{customers} 位客户，其中 {churned} 位已流失）。尚无客户被观察满一个月，因此没有限制平均生命周期。",
        "survival.months": "{months} 个月",
        "survival.not_reached": "未达到（超过一半客户仍在网）",
        "indicators.value": "流失的代价",
        "indicators.value.why": "用金额衡量流失：损失的收入和利润、客户生命周期价值，以及降低流失的价值。",
        "value.statement": "{customers} 位客户 × {rate} 流失率 = 流失 {lost} 位；× 每位年收入 {per_customer} = 每年损失收入 {revenue}；× {margin} 利润率 = 损失利润 {profit}。",
        "value.basis": "生命周期与情景测算所用流失率：每年 {annual}（最近 {k} 期平均后年化），预期生命周期 {years} 年。",
        "value.clv_arpa": "单客户生命周期收入（ARPA / 月流失率）：{clv}",
        "value.clv_spend": "单客户生命周期利润（年消费 × {years} 年 × 利润率）：{clv}",
        "value.snapshot": "快照数据：其流失率对应的时间跨度未知，因此不据此推算生命周期价值或情景。",
        "value.no_scenarios": "年流失率已低于 1 个百分点，不做降低流失的情景测算。",
        "value.no_start": "{period}期初没有在册客户，因此本期没有流失率，也无从计算流失成本。",
        "value.no_churn": "{period}期初在册的 {customers} 位客户无一流失：本期流失没有造成收入损失。",
        "value.no_basis": "最近 {k} 期均没有期初在册客户，因此没有可用于推算生命周期价值或情景的流失率。",
        "value.no_annual_churn": "最近 {k} 期没有客户流失：没有可推算的流失率，因此不估算生命周期价值或情景。",
        "value.scenario_points": "降低 {points} 个百分点",
        "col.scenario": "年流失率",
        "col.annual_churn_after": "降低后",
        "col.customers_saved": "留住客户",
        "col.revenue_per_year": "每年收入",
        "col.profit_per_year": "每年利润",
        "col.start_revenue": "期初 MRR",
        "col.new_revenue": "新增",
        "col.expansion": "扩展",
        "col.contraction": "收缩",
        "col.churned_revenue": "流失",
        "col.reactivation_revenue": "召回",
        "col.end_revenue": "期末 MRR",
        "col.arpa": "ARPA",
        "col.gross_revenue_churn": "总收入流失率",
        "col.net_revenue_churn": "净收入流失率",
        "col.nrr": "净收入留存率",
        "col.quick_ratio": "快速比率",
        "col.change": "较上期",
        "indicators.definitions": "其他工具会怎样计算",
        "indicators.definitions.why": "同一期间按其他工具的口径计算的流失率；差异来自分母，而非数据。",
        "col.convention": "口径",
        "col.denominator": "分母",
        "col.explanation": "差异原因",
        "conv.start_set": "期初客户（本报告）",
        "conv.start_set.why": "期初在网客户中本期流失的比例。",
        "conv.all_joiners": "期内全部客户",
        "conv.all_joiners.why": "把期内新加入的客户及其中流失者也计入；新客户多时偏低。",
        "conv.excluding_join_and_leave": "剔除新增即流失",
        "conv.excluding_join_and_leave.why": "分母加入新客户，但剔除期内新增又流失的客户。",
        "conv.average_customers": "平均客户数",
        "conv.average_customers.why": "以期初与期末客户数的平均值为分母；客户规模缩小时偏高，增长时偏低。",
        "conv.rolling_30_days": "滚动 30 天",
        "conv.rolling_30_days.why": "以报告日前 30 天代替自然周期。",
        "take.trend": "{period} 流失率为 {rate}（95% 置信区间 {low} – {high}）；{vs_prev}{vs_year}",
        "take.change_sig": "较{other}{direction} {points} 个百分点，变化显著。",
        "take.change_ns": "较{other}变化 {points}，在噪声范围内。",
        "take.up": "上升",
        "take.down": "下降",
        "take.flows": "{n} 期内新增 {new} 位客户、流失 {lost} 位；目前客户数为 {end}。",
        "take.bridge": "{period} 经常性收入由 {start} 变为 {end}：增加 {gained}（新增、扩展、召回），减少 {lost}（流失、收缩）；净收入留存率 {nrr}，快速比率 {quick}。",
        "take.bridge_moves": "{period} 经常性收入由 {start} 变为 {end}：增加 {gained}（新增、扩展、召回），减少 {lost}（流失、收缩）。",
        "take.nrr": "净收入留存率 {nrr}。",
        "take.no_nrr": "期初没有经常性收入，因此没有净收入留存率。",
        "take.quick": "快速比率 {quick}。",
        "take.no_quick": "没有因流失或收缩损失收入，因此没有快速比率（其分母为损失的收入）。",
        "take.cohorts": "加入 {k} 期后，各批次仍在网比例介于 {low} 与 {high} 之间（最近的完整批次：{latest}）。",
        "take.survival": "加入 12 个月后仍有 {at12} 的客户在网；生命周期中位数 {median}。",
        "take.survival_short": "客户加入后最长只观察了 {months} 个月，不足以判断有多少客户能留满 12 个月；生命周期中位数 {median}。",
        "points": "{value} 个百分点",
        "mix.types": "{period} 流失的 {lost} 位客户中，{voluntary} 位主动离开（自愿流失），{involuntary} 位因付款失败离开（非自愿流失）；{unknown} 位未记录类型。",
        "mix.no_types": "没有 churn_type 列：未区分自愿与非自愿流失。",
        "mix.referral": "推荐：{period} 的新客户中有 {rate} 来自推荐（{new} 位中的 {referred} 位）。",
        "mix.no_referral": "没有推荐列（referred_by）：不显示推荐率。",
        "indicators.zero_start": "期初没有客户的期间没有流失率（显示为 –）：没有可流失的客户。",
        "chart.churned_customers": "流失客户数",
        "chart.cumulative_share": "累计占比",
        "chart.controllable": "可控（自身原因）",
        "chart.uncontrollable": "不可控",
        "chart.unknown_reason": "不明 / 付款",
        "chart.alt.pareto": "{n} 类流失原因的帕累托图；最大的一类“{top}”占流失客户的 {share}。",
        "chart.alt.by_segment": "按{dimension}（{levels} 个取值）划分的流失原因热力图。",
        "chart.alt.over_time": "{n} 期内各期按原因堆叠的流失客户柱状图。",
        "chart.left_for_reason": "因该原因流失的客户比例",
        "chart.alt.incidence": "{months} 个月内按原因累计流失比例；最高的是“{top}”，为 {share}。",
        "chart.hazard_ratio": "风险比（每月流失可能性的倍数）",
        "chart.odds_ratio": "优势比（已流失几率的倍数）",
        "chart.alt.drivers": "{n} 个流失驱动因素及其 95% 置信区间的森林图；最强的是“{top}”（{effect} 倍）。",
        "cause.unmapped": "未归类原因",
        "cause.not_stated": "未说明原因",
        "cause.other_causes": "其他原因",
        "causes.title": "客户为何流失",
        "causes.why": "客户给出的原因（按原因分类体系归类），以及与流失显著相关的行为和体验因素。",
        "causes.reasons": "客户陈述的原因",
        "causes.reasons.why": "客户离开时的说法，按原因分类汇总；红色为公司可控的原因。",
        "causes.segments": "各细分群体的流失原因",
        "causes.segments.why": "不同群体是否因不同原因离开（各群体流失客户中的占比）。",
        "causes.time": "流失原因的变化",
        "causes.time.why": "各期因各原因流失的客户数。",
        "causes.incidence": "客户生命周期中的流失原因",
        "causes.incidence.why": "各在网时长下因各原因累计流失的客户比例（竞争风险：因一种原因流失的客户不会再因另一种原因流失）。",
        "causes.drivers": "哪些因素与流失相关",
        "causes.drivers.why": "在同一模型中比较各因素，每个因素都控制了其他因素；大于 1 表示提高流失，小于 1 表示降低流失；灰色表示不显著。",
        "causes.no_reasons": "数据中没有客户陈述的流失原因（没有 churn_reason 列，或该列为空）：不分析客户陈述的原因。",
        "causes.no_churners": "原因统计区间内没有客户流失。",
        "causes.summary": "{start}至{end}流失的 {lost} 位客户中，{stated} 位说明了原因。{top}合计占全部流失的 {share}；在可归类的原因中，{controllable} 属于公司可控的原因。",
        "causes.and": "和",
        "causes.more_reasons": "另有 {n} 个较少见的原因未列出（均在 metrics.json 中）。",
        "causes.all_mapped": "所有陈述的原因都匹配到了映射文件（{source}）中的规则。",
        "causes.unmapped": "未归类的原因",
        "causes.unmapped.why": "映射文件中没有规则匹配以下原因；把它们加入文件即可归类。上文以“未归类原因”计数。",
        "causes.no_drivers": "数据中没有可分析的驱动因素。",
        "causes.model_not_fitted": "未拟合驱动因素模型：{reason}。",
        "causes.null": "无明显影响：{names}。",
        "causes.model.hazard_ratio": "离散时间风险模型，基于 {rows} 个客户月、{events} 次流失；按月效应吸收季节性；显著性经 Holm 校正。",
        "causes.model.odds_ratio": "逻辑回归，基于 {rows} 位客户、{events} 次流失；显著性经 Holm 校正。",
        "causes.model.sampled": "为控制内存，模型在随机抽取的 {share} 客户（{of} 位中的 {customers} 位，"
        "每位含完整历史）上拟合：估计无偏，区间为该样本所能支持的范围；各驱动因素水平的流失率使用全部客户。",
        "causes.staff": "客户经理离职后 90 天内，其客户的月流失率为 {after}，其他客户为 {other}：是后者的 {ratio} 倍（95% 置信区间 {lo}–{hi}；{months} 个客户月）。",
        "causes.dropped": "未纳入模型：{items}。",
        "drv.left.constant": "取值不变",
        "drv.left.few_values": "取值不变或取值过少",
        "drv.left.pooled": "类别 {levels} 合并为（其他）",
        "drv.left.few_rows": "少于 {rows} 行",
        "drv.left.correlated": "与 {twin} 高度相关",
        "drv.left.few_events": "流失事件过少（{events} 个）：{factors} 个因素至少需要 {need} 个",
        "drv.left.not_estimable": "无法估计：具有该特征的客户（几乎）从不或总是流失",
        "drv.left.nobody_at_risk": "所研究的各月份月初均无在网客户",
        "col.reason_text": "原因",
        "col.category": "原因类别",
        "col.share": "占比",
        "col.cumulative": "累计",
        "col.revenue_lost": "年损失收入",
        "col.driver": "因素",
        "col.hazard_ratio": "风险比",
        "col.odds_ratio": "优势比",
        "col.ci_low": "95% 区间下限",
        "col.ci_high": "95% 区间上限",
        "col.p_adjusted": "p 值（Holm）",
        "col.exposure": "样本占比",
        "col.share_of_table": "占该表行数",
        "drv.complaint_90d": "近 90 天有投诉",
        "drv.slow_response_90d": "近 90 天首次响应慢",
        "drv.low_satisfaction_90d": "近 90 天满意度低",
        "drv.manager_left_90d": "近 90 天客户经理离职",
        "drv.new_customer": "新客户（前 3 个月）",
        "drv.age_band": "年龄",
        "drv.customer_type": "客户类型",
        "drv.plan": "套餐",
        "drv.gender": "性别",
        "drv.region": "地区",
        "drv.channel": "渠道",
        "drv.tenure_months": "在网时长",
        "drv.per_sd_name": "{name}（+1 个标准差）",
        "drv.level.under 30": "30 岁以下",
        "drv.level.30-54": "30–54 岁",
        "drv.level.55+": "55 岁及以上",
        "drv.who.flag": "{name}的客户",
        "drv.who.level": "{name}为{level}的客户（相对{reference}）",
        "drv.who.per_sd": "{name}每增加一个标准差",
        "drv.who.complaint_90d": "近 90 天投诉过的客户",
        "drv.who.slow_response_90d": "近 90 天首次响应等待过久的客户",
        "drv.who.low_satisfaction_90d": "近 90 天给出低满意度评分的客户",
        "drv.who.manager_left_90d": "近 90 天客户经理离职的客户",
        "drv.who.new_customer": "新客户（前 3 个月）",
        "drv.sentence.hazard_ratio": "{who}流失的可能性是其他客户的 {effect} 倍（95% 置信区间 {lo}–{hi}）。",
        "drv.sentence.odds_ratio": "{who}已流失的几率是其他客户的 {effect} 倍（95% 置信区间 {lo}–{hi}）。",
        "drv.sentence.ns": "{who}：无明显影响（{effect}，95% 置信区间 {lo}–{hi}，不显著）。",
        "causes.summary_snapshot": "快照中流失的 {lost} 位客户中，{stated} 位说明了原因。{top}合计占全部流失的 {share}；在可归类的原因中，{controllable} 属于公司可控的原因。",
        "chart.alt.metric_cohorts": "最强的 {n} 个因素各分位数或取值下的流失率及 95% 置信区间。",
        "causes.cohorts": "各因素下的流失率",
        "causes.cohorts.why": "最强因素按十分位（数值）或取值（类别）分组的原始流失率，尚未控制其他因素。",
        "col.group": "是否可控",
        "group.subjective": "可控（自身原因）",
        "group.objective": "不可控",
        "group.involuntary": "非自愿",
        "group.unmapped": "不明（未归类）",
        "group.not_stated": "不明（未说明）",
        "seg.title": "谁在流失",
        "seg.why": "哪些群体流失最快、差异是否真实，以及本期流失的变化是来自客户结构的变化还是某些群体变差。",
        "seg.intro": "{start}在网的 {customers} 位客户，以及他们截至{end}是否流失：各细分群体一年内的流失。",
        "seg.intro_snapshot": "{end}快照中的全部 {customers} 位客户。",
        "seg.tables": "各细分群体的流失",
        "seg.tables.why": "各群体的流失率及 95% 置信区间；提升度为群体流失率与整体流失率之比；灰色为不足 30 位客户、样本太小无法判断的群体。",
        "seg.real": "{top}流失最多（{top_rate}），{low}最少（{low_rate}）；差异真实存在（{test}，{p}）；经 Holm 校正后 {npairs} 组两两比较中有 {pairs} 组有差异。",
        "seg.not_real": "流失率从 {low_rate}（{low}）到 {top_rate}（{top}）不等，但差异可能是偶然的（{test}，{p}）。",
        "seg.test.chi-square": "卡方检验",
        "seg.test.fisher": "Fisher 精确检验",
        "seg.too_small": "样本太小",
        "seg.survival": "各群体的生命周期",
        "seg.survival.why": "各群体客户的在网时长（Kaplan-Meier），并用 logrank 检验曲线是否不同。",
        "seg.logrank": "曲线相同的 logrank 检验：{p}。",
        "seg.change": "变化从何而来",
        "seg.change.why": "把流失率的变化拆分为结构效应（高流失群体客户变多）和比率效应（群体本身流失变多），两者相加等于总变化。",
        "seg.change_sentence": "从{before}到{after}流失率变化 {change}：按{dimension}拆分，结构效应 {mix}，群体内比率效应 {rate}；贡献最大的是{top}（{top_change}）。",
        "seg.no_change_snapshot": "快照只有一个期间：没有可拆分的变化。",
        "seg.no_change": "没有可拆分的变化：这需要报告期与对比期的期初都有在册客户，且至少一期有客户流失。",
        "seg.no_population": "{start}（一年观察窗口的起点）没有在册客户：没有可在细分群体之间比较的流失。",
        "seg.none_churned": "窗口起点在册的 {customers} 位客户在任何细分群体中都没有流失：没有可检验的差异。",
        "seg.all_churned": "窗口起点在册的 {customers} 位客户在每个细分群体中全部流失：没有可检验的差异。",
        "seg.one_level": "所有客户都属于同一细分群体 {segment}（流失率 {rate}）：没有可比较的对象。",
        "seg.logrank_none": "这些细分群体中尚无客户流失：无法比较其生命周期。",
        "seg.heatmaps": "各群体各期流失率",
        "seg.heatmaps.why": "近一年各群体的月流失率。",
        "seg.tenure_band": "在网时长",
        "seg.age_band": "年龄",
        "seg.account_manager": "客户经理",
        "col.segment": "群体",
        "col.customers_at_risk": "客户数",
        "col.customers": "客户数",
        "col.share_of_churn": "流失占比",
        "col.lift": "提升度",
        "col.small": "备注",
        "col.median_lifetime": "生命周期中位数（月）",
        "col.rmst": "限制平均生命周期（月）",
        "col.horizon": "期限（月）",
        "col.dimension": "维度",
        "col.compared_with": "对比期间",
        "col.change_total": "变化",
        "col.mix_effect": "结构效应",
        "col.rate_effect": "比率效应",
        "col.largest_contribution": "最大贡献",
        "survival.not_reached_short": "未达到",
        "chart.overall_rate": "整体流失率",
        "chart.alt.segment_rates": "按{dimension}划分的 {n} 个群体的流失率及 95% 置信区间；最高的是{top}，为 {rate}。",
        "chart.alt.segment_survival": "按{dimension}划分的 {n} 个群体的 Kaplan-Meier 留存曲线。",
        "chart.alt.segment_heatmap": "按{dimension}划分的 {n} 个群体在 {periods} 期内的流失率热力图。",
        "seg.value_class": "价值分类（ABC）",
        "seg.rfm_group": "RFM 分组",
        "seg.lifecycle": "客户生命周期状态",
        "seg.lifecycle.why": "各期活跃客户的状态：新客户、延续上期的老客户、间断后回归的客户；横轴以下为本期沉睡的客户。",
        "life.new": "新客户",
        "life.returning": "持续活跃",
        "life.resurrecting": "回归",
        "life.dormant": "沉睡",
        "life.inactive": "已流失",
        "life.not_yet": "尚未成为客户",
        "life.from": "前一期状态",
        "life.transitions": "{before}（行）与{after}（列）的客户状态。",
        "chart.alt.lifecycle": "{n} 期内各期新客户、持续活跃和回归客户的堆叠柱状图，沉睡客户在横轴以下。",
        "dq.blank": "（空）",
        "dq.missing_token": "占位文本（如“?”）视为缺失值",
        "dq.blank_value": "空单元格，按缺失值保留",
        "dq.missing_required_value": "缺少必填值的行无法分析",
        "dq.empty_column_dropped": "忽略完全为空且无列名的列",
        "dq.columns_not_used": "未读取的列：交易记录按客户和日期汇总为购买次数与金额",
        "dq.starts_after_as_of": "开始于报告日期之后的记录不计入",
        "dq.ends_after_as_of": "结束于报告日期之后的记录视为报告日仍在网",
        "dq.no_activity": "截至报告日期没有任何订阅或购买的客户",
        "dq.activity_without_customer_row": "有活动记录但客户表中没有对应行的编号：保留，属性为空",
        "dq.stated_churn_disagrees_with_dates": "填报的流失标记与日期不一致；以日期为准",
        "dq.far_future_date": "远期日期（如 9999-12-31，表示无结束日期）视为无日期：结束日期按未结束处理",
        "dq.placeholder_date": "占位日期（1900-01-01、1899-12-30、1970-01-01）视为缺失：需要该日期的行被排除",
        "dq.id_written_as_decimal": "写成小数的编号（17.0）按整数读取（17）",
        "dq.id_matched_by_number": "与客户表前导零不同的编号（58 与 000058）按数值匹配（一一对应）",
        "dq.unknown_customer": "客户编号不在客户表中的行",
        "dq.non_positive_revenue": "月收入为零或负数：按原值保留",
        "warning.title": "流失预警与客户挽回",
        "warning.why": "下一期谁可能流失、会造成多少损失、应先联系谁。",
        "warning.backtest": "预警的准确度",
        "warning.backtest.why": "两个模型用过去的数据训练，再在训练时未见过的后续月份上检验，与实际使用方式一致。",
        "warning.list": "高流失风险客户",
        "warning.list.why": "当前客户按预期损失（流失概率 × 年价值）排序，并列出最推高每位客户风险的三个因素。",
        "warning.tiers": "按客户价值的挽回优先级",
        "warning.tiers.why": "标准规则：重要客户不惜代价挽回，主要客户尽力挽回，普通客户低成本挽回；小客户放弃，无收入的客户不挽回。",
        "warning.lost": "本期流失客户：挽回谁",
        "warning.lost.why": "报告期内流失的客户，按流失时的价值分级；尽快联系、了解原因、改进并在一周内回访。",
        "warning.previous": "上次名单的检验",
        "warning.previous.why": "上次运行给出的概率与此后实际发生情况的对比，用来判断本次名单的可信程度。",
        "warning.why_not.too_few_churners": "历史数据中流失客户太少（至少需要 40 位），无法训练预警模型，本次不生成名单。",
        "warning.why_not.no_history": "报告日期之前没有结果已知的完整期间，暂时无法训练预警模型。",
        "warning.why_not.nobody_active": "报告日期没有在册客户，没有可评分的对象，本次不生成名单。",
        "warning.why_not.too_few_stayers": "历史数据中留存的客户太少（模型需要流失与留存的客户各至少 40 位），无法训练预警模型，本次不生成名单。",
        "warning.training_sample": "模型从随机抽取的 {share} 客户（{of} 位中的 {customers} 位，含其活跃的每个期末）学习："
        "足以支撑估计，并使运行不超出内存；所有活跃客户均被评分。",
        "warning.time_split": "用截至{until}各期末的 {train} 个客户快照训练，用{since}起的 {test} 个快照检验（按时间切分：检验月份在训练中从未出现）。",
        "warning.cv.snapshot": "数据是一个没有日期的快照，无法按时间回测。以下数字是在同一批 {n} 位客户上的 5 折交叉验证估计：可用于排序，但可能偏乐观，且概率指截至快照时已流失的概率，而非下一期流失的概率。",
        "warning.cv.short_history": "历史太短，无法按时间切分（检验月份中流失客户太少），以下数字是在 {n} 个客户快照上的 5 折交叉验证估计，可能偏乐观。",
        "warning.result": "{model}对客户排序的 AUC 为 {auc}（0.5 为随机，1 为完美）；风险最高的 10% 客户流失频率是平均客户（{rate}）的 {lift} 倍。",
        "warning.choice.auc": "由{model}为当前客户打分：它的排序最好。",
        "warning.choice.calibration": "由{model}为当前客户打分：另一个模型排序略好，但其概率偏差超过三分之一。",
        "warning.model.logistic": "逻辑回归模型",
        "warning.model.gradient_boosting": "梯度提升模型",
        "warning.list_summary": "共为 {n} 位客户打分；预计其中约 {expected} 位会在{horizon}前流失，预期年收入损失 {loss}（{basis}）。名单前 10% 占其中的 {top_share}。",
        "warning.list_summary_novalue": "共为 {n} 位客户打分；预计其中约 {expected} 位会在{horizon}前流失。没有收入数据：名单按概率排序。",
        "warning.basis.mrr": "月经常性收入 × 12",
        "warning.basis.monthly_revenue": "月收入 × 12",
        "warning.basis.transactions": "最近 12 个月的消费额",
        "warning.basis.none": "没有收入数据",
        "warning.no_previous": "报告目录中没有预测期已结束的本报告早先运行；下次运行将检验本次名单。",
        "warning.previous_sentence": "{made}的运行预计其 {matched} 位客户中约 {predicted} 位会在{end}前流失，实际流失 {left} 位。其排序 AUC 为 {auc}，风险最高的 10% 客户流失频率是平均的 {lift} 倍。",
        "warning.files": "完整名单见运行目录中的 at_risk.csv 和 at_risk.xlsx。",
        "warning.masked": "客户编号已脱敏（带密钥的哈希），姓名类字段已删除（pii: mask）。",
        "col.model": "模型",
        "col.auc": "ROC AUC",
        "col.pr_auc": "PR AUC",
        "col.top_decile_lift": "前 10% 提升度",
        "col.brier": "Brier 分数",
        "col.calibration_ratio": "预测 / 实际",
        "col.rank": "序号",
        "col.customer": "客户",
        "col.probability": "流失概率",
        "col.annual_value": "年价值",
        "col.expected_loss": "预期损失",
        "col.tier": "价值等级",
        "col.reasons": "主要风险因素",
        "col.recommended_action": "建议行动",
        "col.annual_value_range": "年价值",
        "col.value_at_stake": "年价值",
        "col.value_lost": "流失的年价值",
        "col.mean_probability": "平均概率",
        "tier.important": "重要客户",
        "tier.major": "主要客户",
        "tier.ordinary": "普通客户",
        "tier.small": "小客户",
        "tier.never": "不挽回",
        "tier.important.rule": "不惜代价挽回",
        "tier.major.rule": "尽力挽回",
        "tier.ordinary.rule": "低成本时挽回",
        "tier.small.rule": "放弃",
        "tier.never.rule": "不挽回（无收入）",
        "tier.range.at_least": "{low} 及以上",
        "tier.range.between": "{low} – {high}",
        "tier.range.below": "低于 {high}",
        "tier.range.none": "无",
        "action.tier.important": "本周由高层经理致电",
        "action.tier.major": "客户经理致电",
        "action.tier.ordinary": "定向邮件或优惠",
        "action.tier.small": "仅自动消息",
        "action.tier.never": "不跟进",
        "action.tier.unknown": "按概率联系",
        "action.cause.service": "解决未结工单并致歉",
        "action.cause.employee": "当面介绍新的客户经理",
        "action.cause.price": "与客户沟通价格变化",
        "action.cause.engagement": "提供使用回顾，重新激活",
        "action.cause.onboarding": "新客户回访",
        "reason.separator": "；",
        "reason.complaints_window": "近 {days} 天投诉 {n} 次",
        "reason.slow_responses_window": "近 {days} 天首次响应过慢 {n} 次",
        "reason.low_satisfaction_window": "近 {days} 天低满意度评分 {n} 次",
        "reason.tickets_window": "近 {days} 天服务工单 {n} 个",
        "reason.response_hours_mean": "首次响应平均 {value} 小时",
        "reason.manager_left_window": "客户经理近 {days} 天离职",
        "reason.recency_days": "{n} 天未购买",
        "reason.purchases_window": "近 {days} 天购买 {n} 次（一般为 {typical}）",
        "reason.spend_window": "近 {days} 天消费 {money}（一般为 {money_typical}）",
        "reason.spend_trend": "消费比前 {days} 天变化 {change}",
        "reason.mrr": "月收入 {money}（一般为 {money_typical}）",
        "reason.mrr_change": "近 {days} 天月费变化 {change}",
        "reason.tenure_months": "成为客户仅 {n} 个月",
        "reason.returning": "曾流失后回归",
        "reason.age": "年龄 {n} 岁",
        "reason.attribute": "{label}：{value}",
        "reason.attribute_number": "{label} {value}（一般为 {typical}）",
        "chart.perfect": "完美校准",
        "chart.predicted": "预测流失概率",
        "chart.observed": "实际流失比例",
        "chart.alt.calibration": "{n} 个模型在回测中的校准：按预测风险十分位比较预测与实际流失率；落在对角线上表示校准良好。",
        "summary.title": "摘要",
        "summary.why": "报告期概览：流失的代价、客户离开的原因、风险最高的客户以及应采取的行动。",
        "summary.kpi.churn_rate": "流失率",
        "summary.kpi.retention_rate": "留存率",
        "summary.kpi.churned": "流失客户数",
        "summary.kpi.revenue_lost": "流失收入（每年）",
        "summary.kpi.profit_lost": "流失利润（每年）",
        "summary.kpi.nrr": "净收入留存率",
        "summary.kpi.clv": "客户终身价值",
        "summary.margin": "按 {margin} 利润率",
        "summary.findings": "主要发现",
        "summary.actions": "建议行动",
        "summary.alert": "预警：",
        "summary.cost": "{period}流失的 {lost} 位客户带走了 {revenue} 的年收入（利润 {profit}）；年流失率每降低 1 个百分点，每年约可保住 {saved}。",
        "summary.cost_only": "{period}流失的 {lost} 位客户带走了 {revenue} 的年收入（利润 {profit}）。",
        "summary.no_churn": "{period}期初在册的 {customers} 位客户在本期无一流失。",
        "indicators.no_start": "{period}期初没有在册客户，因此本期没有流失率。",
        "summary.lost": "{period} {customers} 位客户中有 {lost} 位流失（流失率 {rate}）。",
        "summary.cause": "最常见的流失原因是“{category}”：占流失客户的 {share}；{controllable} 的原因是公司可以控制的。",
        "summary.segment": "{dimension}为“{level}”的客户流失最多：{rate}，是平均水平的 {lift} 倍，占全部流失客户的 {share}。",
        "summary.risk": "预警模型预计当前 {n} 位客户中约 {expected} 位会在{horizon}前流失；高风险名单按预期损失排序。",
        "summary.action.immediate": "一周内联系本期流失的客户：致歉、了解原因、改进并回访。",
        "summary.action.service": "服务：快速回应每一次投诉（6 小时内首次响应），一周内解决；每一次投诉背后都有许多沉默的客户。",
        "summary.action.price": "价格：与受上次涨价影响的客户沟通，为高价值客户提供忠诚优惠。",
        "summary.action.product": "产品：解决客户提到的质量问题和功能缺口。",
        "summary.action.employee": "员工：客户经理离职时，第一周内由继任者当面拜访每位客户。",
        "summary.action.brand": "品牌：恢复与长期未联系客户的定期联系。",
        "summary.action.competitor": "竞争：了解竞争对手的条件，对值得保留的客户予以匹配。",
        "summary.action.involuntary": "付款：自动重试失败的付款，并在银行卡到期前提醒客户。",
        "summary.action.onboarding": "新客户：前三个月流失最高，安排入门电话和回访。",
        "summary.action.call_list": "优先致电高风险名单（at_risk.xlsx）前 10% 中的 {n} 位重要和主要客户。",
    },
}

LANGUAGES = tuple(CATALOGUE)


def missing_keys() -> dict[str, set[str]]:
    """Keys present in one language but not in another (should be empty)."""
    every = set().union(*(set(c) for c in CATALOGUE.values()))
    return {lang: every - set(c) for lang, c in CATALOGUE.items() if every - set(c)}


class Text:
    """Strings and formats of one report language.

    Parameters
    ----------
    language : {"en", "zh"}

    Examples
    --------
    >>> Text("zh").pct(0.1234)
    '12.3%'
    >>> Text("zh").period("2024-06")
    '2024年6月'
    >>> Text("en").period("2024Q2")
    'Q2 2024'
    """

    def __init__(self, language: str = "en", currency: str = ""):
        if language not in CATALOGUE:
            raise ValueError(f"language must be one of {LANGUAGES}, not {language!r}")
        self.language = language
        self.currency = currency
        self._c = CATALOGUE[language]

    def __call__(self, key: str, **values: object) -> str:
        """The string for ``key`` with ``values`` filled in."""
        return self._c[key].format(**values)

    def get(self, key: str, default: str) -> str:
        """The string for ``key``, or ``default`` when the catalogue has none."""
        return self._c.get(key, default)

    def sentences(self, parts: list[str]) -> str:
        """Sentences in a row: a space between them in English, none in Chinese.

        Examples
        --------
        >>> Text("en").sentences(["One.", "Two."]), Text("zh").sentences(["一。", "二。"])
        ('One. Two.', '一。二。')
        """
        return ("" if self.language == "zh" else " ").join(parts)

    def pct(self, x: float | None, digits: int = 1) -> str:
        """A share as a percentage, ``–`` when missing."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        return f"{x * 100:.{digits}f}%"

    def int(self, x: float | int | None) -> str:
        """A count with thousands separators."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        return f"{int(round(x)):,}"

    def num(self, x: float | None, digits: int = 1) -> str:
        """A plain number with thousands separators and ``digits`` decimals."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        return f"{x:,.{digits}f}"

    def points(self, x: float | None) -> str:
        """A difference of two rates in percentage points, signed: ``+0.4 pts``."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return "–"
        value = x * 100 if abs(x * 100) >= 0.05 else 0.0  # no "-0.0"
        return self("points", value=f"{value:+.1f}")

    def money(self, x: float | None, unit: bool = False) -> str:
        """An amount, compact for large values (``4.04M`` / ``404.5万``), with the currency
        code when ``unit``."""
        if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
            return "–"
        a = abs(x)
        if self.language == "zh":
            if a >= 1e8:
                s = f"{x / 1e8:,.2f}亿"
            elif a >= 1e4:
                s = f"{x / 1e4:,.1f}万"
            else:
                s = f"{x:,.0f}"
        elif a >= 1e9:
            s = f"{x / 1e9:,.2f}B"
        elif a >= 1e6:
            s = f"{x / 1e6:,.2f}M"
        elif a >= 1e4:
            s = f"{x / 1e3:,.1f}k"
        else:
            s = f"{x:,.0f}"
        if not unit or not self.currency:
            return s
        return f"{s} {self.currency}" if self.language == "zh" else f"{self.currency} {s}"

    def date(self, d: dt.date | str) -> str:
        """A calendar date: ``30 Jun 2024`` / ``2024年6月30日``."""
        d = dt.date.fromisoformat(str(d)[:10])
        if self.language == "zh":
            return f"{d.year}年{d.month}月{d.day}日"
        return f"{d.day} {d:%b %Y}"

    def period(self, label: str) -> str:
        """A period label (``2024-06``, ``2024Q2``, ``2024``) in the report language."""
        m = re.fullmatch(r"(\d{4})-(\d{2})", label)
        if m:
            y, mo = int(m[1]), int(m[2])
            return f"{y}年{mo}月" if self.language == "zh" else f"{dt.date(y, mo, 1):%b %Y}"
        m = re.fullmatch(r"(\d{4})Q(\d)", label)
        if m:
            return f"{m[1]}年第{m[2]}季度" if self.language == "zh" else f"Q{m[2]} {m[1]}"
        return f"{label}年" if self.language == "zh" and label.isdigit() else label
