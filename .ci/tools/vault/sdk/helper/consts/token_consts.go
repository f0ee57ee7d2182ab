// Copyright (c) HashiCorp, Inc.
// SPDX-License-Identifier: MPL-2.0

package consts

const (
	ServiceTokenPrefix        = "hvs."
	BatchTokenPrefix          = "hvb."
	RecoveryTokenPrefix       = "hvr."
	LegacyServiceTokenPrefix  = "s."
	LegacyBatchTokenPrefix    = "b."
	LegacyRecoveryTokenPrefix = "r."
)
