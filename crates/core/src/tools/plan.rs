//! `update_plan`: the model's checklist, shown as a `todo_list` item.

use super::call::TurnState;
use crate::services::ToolContext;
use duet_protocol::{EventMsg, Item, ItemDetails, TodoItem};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct UpdatePlanArgs {
    #[serde(default)]
    #[allow(dead_code)]
    explanation: Option<String>,
    plan: Vec<PlanStep>,
}

#[derive(Debug, Deserialize)]
struct PlanStep {
    step: String,
    status: StepStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum StepStatus {
    Pending,
    InProgress,
    Completed,
}

/// The first call of a turn starts the item; later calls update it; the turn
/// completes it when it ends.
pub(super) fn update_plan(
    context: ToolContext<'_>,
    state: &TurnState,
    turn_id: &str,
    arguments: &str,
) -> String {
    let args: UpdatePlanArgs = match super::call::parse_arguments("update_plan", arguments) {
        Ok(args) => args,
        Err(message) => return message,
    };
    let in_progress = args
        .plan
        .iter()
        .filter(|step| step.status == StepStatus::InProgress)
        .count();
    if in_progress > 1 {
        return format!(
            "the plan has {in_progress} steps `in_progress`; keep at most one step in progress and send the plan again"
        );
    }
    let items: Vec<TodoItem> = args
        .plan
        .into_iter()
        .map(|step| TodoItem {
            text: step.step,
            completed: step.status == StepStatus::Completed,
        })
        .collect();

    let Ok(mut plan) = state.plan.lock() else {
        return "internal error: the plan is unavailable".to_string();
    };
    let msg = match plan.as_mut() {
        Some(item) => {
            item.details = ItemDetails::TodoList { items };
            EventMsg::ItemUpdated { item: item.clone() }
        }
        None => {
            let item = Item {
                id: context.services.events.item_id(),
                details: ItemDetails::TodoList { items },
            };
            *plan = Some(item.clone());
            EventMsg::ItemStarted { item }
        }
    };
    context.services.events.send(Some(turn_id), msg);
    "Plan updated".to_string()
}
