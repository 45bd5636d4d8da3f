//! The doctor's texts, one message-key enum per group of checks, with an English and a
//! Vietnamese table each (`en.rs`, `vi.rs`) built on the guide's message tables
//! ([`ferroftp_guide::i18n`]). Placeholders such as `{reply}` are filled where the finding
//! is made.

mod en;
mod vi;

pub(crate) use ferroftp_guide::i18n::Messages;

ferroftp_guide::messages! {
    /// Texts of the general checks (connection, greeting, login, sequencing).
    pub(crate) enum CheckText in (en::check, vi::check) {
        RemainingChecksWereNot,
        Or,
        ServerStoppedAnsweringCheck,
        ServerDroppedConnectionCheck,
        RepliesMustLinesNNN,
        MultiLineReplyMust,
        LegalButLessPrecise,
        SkippedAddWriteTest,
        ChecksNeedLoginWere,
        CannotResolve,
        ResolvingTookLongerThan,
        Connected,
        CannotConnect,
        CheckHostNamePort,
        ServerAsksWait,
        NoGreeting,
        FTPServerSends220,
        ServerRefusesNewSessions,
        GreetingMust220120,
        Greeting,
        GreetingShowsVersionNumber,
        SetGreetingWithoutVersion,
        NoFeatures,
        FeatureList,
        FeatureLineWithoutLeading,
        EachFeatureLine211,
        FEATNeedsLoginHere,
        FEATNotSupportedRFC,
        FEATAnswers211Feature,
        AUTHTLS,
        URLAsksFtpsBut,
        LoggedWithoutPassword,
        ServerWantsAccountACCT,
        ServerOffersAUTHTLS,
        ServerRefusedUserName,
        ServerRefusesLoginClear,
        ServerWantsACCTAfter,
        LoginIncorrectCheckUser,
        FEATListsUTF8RFC,
        FeatLacksUtf8,
        CWDURLPath,
        CheckDirectoryURLExists,
        SYSTAnswers215System,
        NOOPMustAnswer200,
        UnknownCommand,
        UnknownCommandMustRefused,
        CurrentDirectory,
        Code257WithoutQuotedPath,
        PWDAnswers257Path,
        CouldNotOpenAnother,
        ServerLimitsConnectionsPer,
        LoginSecondConnectionFailed,
        CommandsOtherThanUSER,
        PASSBeforeUSER,
        PASSNoUSERBefore,
        PWDBeforeLogin,
        LISTBeforeLogin,
        RETRBeforeLogin,
        PROTPBeforePBSZ,
        PROTMustFollowAUTH,
        SkippedNoAuthTls,
        TransferNoPORTPASV,
        RETRWithoutPASVPORT,
        LISTWithoutPASVPORT,
        RNTOWithoutRNFR,
        RNTOMustComeRight,
        SkippedNoEpsv,
        EPSVALLNotAccepted,
        PASVAfterEPSVALL,
        AfterEPSVALLServer,
    }
}

ferroftp_guide::messages! {
    /// Texts of the data-channel checks.
    pub(crate) enum DataText in (en::data, vi::data) {
        NoDataConnection,
        DataChannelRefused,
        NoDataChannel,
        DataConnectionFailed,
        BytesThen,
        NoFinalReplyConnection,
        ServerRefusedCommandCheck,
        DataConnectionCouldNot,
        DataConnectionStalledBroke,
        TransferDidNotComplete,
        NoDataChannelWorks,
        OpenPassivePortRange,
        Code227MustCarryAddress,
        UseEPSVIPv6,
        PASVNotImplementedMost,
        PasvCouldNotOpen,
        PassivePortAdvertisedAt,
        SetPublicAddressPassive,
        PASVAdvertisesPrivateUnroutable,
        PASVAdvertisesNotAddress,
        Connected,
        CannotConnectAdvertisedServer,
        CannotConnectAdvertisedNor,
        CannotConnectPassivePort,
        OpenPassivePortRangeServer,
        Code229MustCarryPort,
        EPSVOptionalIPv4But,
        IPv6EPSVOnlyPassive,
        EpsvCouldNotOpen,
        ExtendedPassivePortAt,
        CannotConnect,
        SkippedCannotListenLocally,
        EPRTOptionalIPv4RFC,
        ActiveModeRefusedFine,
        LISTServerDidNot,
        ActiveModeNeedsServer,
    }
}

ferroftp_guide::messages! {
    /// Texts of the listing, file-fact and round-trip checks.
    pub(crate) enum FileText in (en::file, vi::file) {
        FEATListsMissing,
        SkippedNoWorkingData,
        FEATListsMLSTSo,
        MLSDLinesMalformed,
        EachMLSDLineFact,
        EntriesParsedFilesDirectories,
        SkippedNoFileForSize,
        TYPEIMustAccepted,
        SIZESaysBytesListing,
        SkippedNoFileForMdtm,
        MDTMSaysMLSDModify,
        BothAreUTCRFC,
        Code213ReplyMDTMYYYYMMDDHHMMSS,
        FEATListsMDTMBut,
        NotRunNoWorking,
        UserCannotCreateDirectories,
        DownloadedBytesUploadedUnchanged,
        DownloadedBytesDifferFrom,
        TYPEIFilesMust,
        MDTMFileJustUploaded,
        MDTMUTCRFC3659,
        RemovedScratchDirectoryNew,
        CouldNotRemoveScratch,
        RemoveByHand,
        CouldNotReconnectRemove,
        SizeIsExactBytes,
        SizeIsDecimal,
        FeatListsSizeButNotImplemented,
        SizeOfExistingFile,
    }
}

ferroftp_guide::messages! {
    /// Texts of the FTPS checks.
    pub(crate) enum TlsText in (en::tls, vi::tls) {
        SelfSigned,
        IssuedUnknownCertificateAuthority,
        Expired,
        NotValidYet,
        NotIssued,
        TLSHandshakeCompleted,
        Negotiated,
        AllowTLS12,
        CipherSuiteKeyExchange,
        CipherSuite,
        ServerSentNoCertificate,
        SubjectCN,
        Names,
        SHA256Fingerprint,
        TrustedValid,
        NotChecked,
        NotTrusted,
        ClientsWillWarnRefuse,
        ImplicitFTPSPortSpeaks,
        After234ServerMust,
        AfterHandshakePBSZ0,
        AUTHTLSAnotherConnection,
        OnAnotherConnection,
        TLSDataConnectionResumed,
        PROTPWasNot,
        AcceptPBSZ0PROT,
        SeeDataChannels,
        NoListingWorkedOver,
        DataConnectionsUnderPROT,
        SeeUploadDownloadRound,
        ListingsWorkOverPROT,
        CheckServerLogTLS,
        ListingsUploadDownloadRound,
        Listings,
        WorkOverPROTP,
        SkippedNoPROTP,
        SkippedDataChannelCould,
        ServerDoesNotRequire,
        ServerRequiresTLSSession,
        ServerOffersAUTHTLS,
        ServerDoesNotOffer,
        UnknownWhetherServerOffers,
    }
}

ferroftp_guide::messages! {
    /// The fixed words of the report: group titles, labels, the verdict.
    pub(crate) enum ReportText in (en::report, vi::report) {
        GroupConnection,
        GroupSequencing,
        GroupLogin,
        GroupData,
        GroupFacts,
        GroupWrite,
        GroupTls,
        Sent,
        Got,
        Expected,
        Fix,
        Note,
        Summary,
        Warnings,
        Errors,
        Pass,
        Fail,
        Unreachable,
        RfcsExpect,
        Or,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferroftp_guide::i18n::check;

    #[test]
    fn every_text_has_the_same_placeholders_in_both_languages() {
        check::<CheckText>().unwrap();
        check::<DataText>().unwrap();
        check::<FileText>().unwrap();
        check::<TlsText>().unwrap();
        check::<ReportText>().unwrap();
    }
}
