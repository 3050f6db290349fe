/** A live countdown to `deadline` (epoch ms; null: none): whole seconds left and `m:ss`. */
import { computed, onUnmounted, ref, type Ref } from 'vue'

export function useCountdown(deadline: Readonly<Ref<number | null>>) {
  const now = ref(Date.now())
  const tick = setInterval(() => (now.value = Date.now()), 1000)
  onUnmounted(() => clearInterval(tick))
  const remaining = computed(() => (deadline.value === null ? 0 : Math.max(0, Math.round((deadline.value - now.value) / 1000))))
  const text = computed(() => `${Math.floor(remaining.value / 60)}:${String(remaining.value % 60).padStart(2, '0')}`)
  return { remaining, text }
}
