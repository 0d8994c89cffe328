//! What the TUI can be asked to do: named key actions (what the keymap binds and the help lists)
//! and everything else `update` reacts to (digits, clicks, playback ticks, resizes, signals).

use crate::sim::Lang;

/// Where a key action applies. Two actions may share a key only if their scopes never overlap.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Everywhere,
    /// The lesson list.
    Home,
    /// A lesson or the sandbox.
    Lab,
    /// A lesson only (beats).
    Lesson,
    /// A lesson or the sandbox whose brokers have racks (`broker.rack`).
    Racks,
}

impl Scope {
    pub fn overlaps(self, other: Scope) -> bool {
        use Scope::{Everywhere, Home, Lab, Lesson, Racks};
        match (self, other) {
            (Everywhere, _) | (_, Everywhere) => true,
            (Home, Home) => true,
            (Home, _) | (_, Home) => false,
            (Lab | Lesson | Racks, Lab | Lesson | Racks) => true,
        }
    }
}

/// Declares the key actions once: variant, name in keymap files, scope, and help text in both
/// languages, so the keymap, the footer and the help can never disagree.
macro_rules! key_actions {
    ($($variant:ident $name:literal $scope:ident $en:literal $zh:literal;)*) => {
        /// A named action a key can be bound to.
        #[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum KeyAction { $($variant,)* }

        impl KeyAction {
            /// Every key action, in the order the help lists them.
            pub const ALL: &[KeyAction] = &[$(KeyAction::$variant,)*];

            /// The name keymap files use.
            pub fn name(self) -> &'static str {
                match self { $(KeyAction::$variant => $name,)* }
            }

            pub fn scope(self) -> Scope {
                match self { $(KeyAction::$variant => Scope::$scope,)* }
            }

            /// What the action does, for the help overlay.
            pub fn describe(self, lang: Lang) -> &'static str {
                match self { $(KeyAction::$variant => lang.pick($en, $zh),)* }
            }
        }
    };
}

key_actions! {
    StepForward "step_forward" Lab "step forward one event" "前进一个事件";
    StepBack "step_back" Lab "step back one event (undoes faults exactly)" "后退一个事件（精确撤销故障）";
    PlayPause "play_pause" Lab "play / pause" "播放 / 暂停";
    Faster "faster" Lab "faster playback" "加快播放";
    Slower "slower" Lab "slower playback" "放慢播放";
    NextBeat "next_beat" Lesson "finish the beat / go to the next beat" "完成本节 / 进入下一节";
    PreviousBeat "previous_beat" Lesson "back to the start of the beat" "回到本节开头";
    SelectNext "select_next" Everywhere "select the next broker (or lesson)" "选择下一个 broker（或课程）";
    SelectPrevious "select_previous" Everywhere "select the previous broker (or lesson)" "选择上一个 broker（或课程）";
    Crash "crash" Lab "crash the selected broker's process (kill -9)" "让选中 broker 的进程崩溃（kill -9）";
    CutPower "cut_power" Lab "cut the selected broker's power (page cache lost)" "切断选中 broker 的电源（page cache 丢失）";
    CutPowerEverywhere "cut_power_everywhere" Lab "cut the power of every broker at once" "所有 broker 同时断电";
    ShutDown "shut_down" Lab "shut the selected broker down cleanly" "正常关闭选中的 broker";
    Restart "restart" Lab "restart the selected broker" "重启选中的 broker";
    CutOffOrHeal "cut_off_or_heal" Lab "cut the selected broker off the network / heal it" "把选中的 broker 从网络隔离 / 恢复";
    RackCutPower "rack_cut_power" Racks "black out the selected broker's whole rack (power cut)" "让选中 broker 所在的整个机架断电";
    RackRestart "rack_restart" Racks "power the selected broker's rack back on: its brokers start" "恢复选中 broker 所在机架的供电：其中的 broker 启动";
    RackCutOffOrHeal "rack_cut_off_or_heal" Racks "fail the rack's switch (its brokers cut off) / bring it back" "机架交换机故障（其中的 broker 被隔离）/ 恢复";
    Produce "produce" Lab "produce a message (with the selected producer)" "（用选中的 producer）生产一条消息";
    KillProducer "kill_producer" Lab "kill the selected producer's application / start it again" "杀掉选中 producer 的应用 / 重新启动";
    KillConsumer "kill_consumer" Lab "kill the selected consumer's application / start it again" "杀掉选中 consumer 的应用 / 重新启动";
    SelectClient "select_client" Lab "select the next producer or consumer (what P, C and m act on)" "选择下一个 producer 或 consumer（P、C、m 作用的对象）";
    ToggleMetrics "toggle_metrics" Lab "show / hide Kafka's metrics: value, change, history" "显示 / 隐藏 Kafka 指标：当前值、变化、走势";
    OpenLesson "open_lesson" Home "start the selected lesson" "开始选中的课程";
    OpenSandbox "open_sandbox" Home "open the sandbox (a 3-broker cluster of your own)" "打开沙盒（你自己的 3 broker 集群）";
    ToggleLanguage "toggle_language" Everywhere "English / 中文" "English / 中文";
    CycleTheme "cycle_theme" Everywhere "next colour theme (dark, light, high-contrast, mono)" "切换配色（dark、light、high-contrast、mono）";
    ToggleMouse "toggle_mouse" Everywhere "mouse capture on/off (on: click a broker; off: select text)" "鼠标捕获开关（开：点击选 broker；关：可选中文字）";
    Help "help" Everywhere "this help" "本帮助";
    Back "back" Everywhere "close the help / back to the lesson list" "关闭帮助 / 返回课程列表";
    Quit "quit" Everywhere "quit" "退出";
}

impl KeyAction {
    pub fn from_name(name: &str) -> Option<KeyAction> {
        KeyAction::ALL.iter().copied().find(|a| a.name() == name)
    }
}

/// Everything `update` reacts to.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Action {
    Key(KeyAction),
    /// A digit key: answers the question when one waits, else selects broker N.
    Digit(u8),
    /// A left click (mouse capture on).
    Click {
        column: u16,
        row: u16,
    },
    /// Wall-clock time passed while playing.
    Tick {
        elapsed_ms: u64,
    },
    Resize {
        width: u16,
        height: u16,
    },
    /// Ctrl-C, SIGTERM, SIGHUP or the end of input: leave now, through the normal exit path.
    Quit,
}
