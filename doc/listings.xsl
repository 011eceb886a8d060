<?xml version='1.0'?>
<!--
	Prints the text of every programlisting of the documentation, each
	followed by a line "@@@@", for the check that every configuration
	excerpt comes from a file in examples/ (tests/suites/60-doc.sh).
-->
<xsl:stylesheet
	xmlns:xsl="http://www.w3.org/1999/XSL/Transform" version="1.0">
	<xsl:output method="text" encoding="UTF-8"/>
	<xsl:template match="/">
		<xsl:for-each select="//programlisting">
			<xsl:value-of select="."/>
			<xsl:text>&#xA;@@@@&#xA;</xsl:text>
		</xsl:for-each>
	</xsl:template>
</xsl:stylesheet>
