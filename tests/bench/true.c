// SPDX-License-Identifier: GPL-2.0
/* The static `true` that the fork+exec benchmark runs. */
int main(void)
{
	return 0;
}
