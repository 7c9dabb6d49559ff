/** The base learning rate at every step. */
import { z } from "zod";
import { baseLrSchema, defineSchedule } from "../common.ts";

const schema = z.strictObject({ baseLr: baseLrSchema });

const { create, plugin } = defineSchedule(
  { name: "constant", description: "Constant learning rate" },
  schema,
  (o) => o.baseLr,
  // The run's lr (and epochs) unless the recipe sets them here.
  (t) => ({ baseLr: t.lr }),
);

export const createConstant = create;
export default plugin;

