/** The base learning rate at every step. */
import { z } from "zod";
import { baseLrSchema, defineSchedule } from "../common.ts";

const schema = z.strictObject({ baseLr: baseLrSchema });

export const constantSchedule = defineSchedule(
  { name: "constant", description: "Constant learning rate" },
  schema,
  (o) => o.baseLr,
  // The run's lr (and epochs) unless the recipe sets them here.
  (t) => ({ baseLr: t.lr }),
);

